/**
 * Pure checks of the entity link/unlink webhook body:
 * `[{entityType, entityId, foreignType, foreignId}]`. A body that can never
 * succeed gets a 400 with the reason and nothing is enqueued.
 */

import { MAX_WEBHOOK_ITEMS } from '../../core/webhook/espo-webhook-body.js';

export interface EntityLinkEvent {
  entityType: string;
  entityId: string;
  foreignType: string;
  foreignId: string;
}

export type ParsedEntityLinks =
  { ok: true; links: EntityLinkEvent[]; total: number } | { ok: false; reason: string };

const ESPO_ID = /^[A-Za-z0-9_-]{1,64}$/;
const ENTITY_TYPE = /^[A-Z][A-Za-z0-9]{0,99}$/;
/** The webhook batch cap (issue 16), the same for link bodies as for record bodies. */
export const MAX_LINK_ITEMS = MAX_WEBHOOK_ITEMS;

export function parseEntityLinkBody(body: unknown): ParsedEntityLinks {
  if (!Array.isArray(body))
    return {
      ok: false,
      reason: 'body must be a JSON array of {entityType, entityId, foreignType, foreignId}',
    };
  if (body.length > MAX_LINK_ITEMS) {
    return {
      ok: false,
      reason: `batch has ${body.length} records; at most ${MAX_LINK_ITEMS} are accepted`,
    };
  }
  const links: EntityLinkEvent[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < body.length; i++) {
    const item: unknown = body[i];
    if (item === null || typeof item !== 'object' || Array.isArray(item)) {
      return { ok: false, reason: `record ${i} must be an object` };
    }
    const r = item as Record<string, unknown>;
    for (const key of ['entityType', 'foreignType'] as const) {
      if (typeof r[key] !== 'string' || !ENTITY_TYPE.test(r[key])) {
        return {
          ok: false,
          reason: `record ${i} has no valid "${key}" (an EspoCRM entity type such as CVmhRaeumungsklage)`,
        };
      }
    }
    for (const key of ['entityId', 'foreignId'] as const) {
      if (typeof r[key] !== 'string' || !ESPO_ID.test(r[key])) {
        return {
          ok: false,
          reason: `record ${i} has no valid "${key}" (a string of letters, digits, _ or -)`,
        };
      }
    }
    const link: EntityLinkEvent = {
      entityType: r.entityType as string,
      entityId: r.entityId as string,
      foreignType: r.foreignType as string,
      foreignId: r.foreignId as string,
    };
    const key = `${link.entityType}:${link.entityId}:${link.foreignType}:${link.foreignId}`;
    if (!seen.has(key)) {
      seen.add(key);
      links.push(link);
    }
  }
  return { ok: true, links, total: body.length };
}

export interface LinkWork {
  /** Entities of a collection type whose collection must exist. */
  entities: Array<{ entityType: string; entityId: string }>;
  /** CDokumente ids whose memberships may have changed. */
  documentIds: string[];
}

/**
 * Which side is the document does not matter (EspoCRM may report the relation from
 * either end); links that do not touch a CDokumente record change no collection.
 */
export function linkWork(
  links: EntityLinkEvent[],
  collectionTypes: readonly string[],
  documentType = 'CDokumente',
): LinkWork {
  const entities = new Map<string, { entityType: string; entityId: string }>();
  const documentIds = new Set<string>();
  for (const l of links) {
    const sides = [
      {
        doc: l.entityType === documentType ? l.entityId : undefined,
        other: { entityType: l.foreignType, entityId: l.foreignId },
      },
      {
        doc: l.foreignType === documentType ? l.foreignId : undefined,
        other: { entityType: l.entityType, entityId: l.entityId },
      },
    ];
    for (const { doc, other } of sides) {
      if (doc === undefined) continue;
      documentIds.add(doc);
      if (collectionTypes.includes(other.entityType))
        entities.set(`${other.entityType}:${other.entityId}`, other);
    }
  }
  return { entities: [...entities.values()], documentIds: [...documentIds] };
}
