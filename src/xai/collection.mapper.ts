import type { XaiCollectionInput, XaiFieldDefinition } from '../integrations/xai/xai.types.js';

/**
 * How an EspoCRM entity and its xAI collection point at each other (DESIGN.md
 * principle 4). EspoCRM holds `xaiCollectionId`; the collection holds the entity's
 * type and id in its description, in a line a program can read back. Every
 * document added carries `espocrm_entity_type`/`espocrm_entity_id` of its
 * CDokumente record as fields, declared by the collection's field definitions, so
 * a membership can be found again from the EspoCRM id alone (document delete).
 */

export const ENTITY_TYPE_FIELD = 'espocrm_entity_type';
export const ENTITY_ID_FIELD = 'espocrm_entity_id';

export interface EntityRef {
  entityType: string;
  entityId: string;
}

export const COLLECTION_FIELD_DEFINITIONS: XaiFieldDefinition[] = [
  {
    key: ENTITY_TYPE_FIELD,
    required: false,
    description: 'EspoCRM entity type of the document (CDokumente)',
  },
  { key: ENTITY_ID_FIELD, required: false, description: 'EspoCRM id of the document record' },
];

const OWNER_LINE =
  /espocrm_entity_type=([A-Za-z][A-Za-z0-9]*);\s*espocrm_entity_id=([A-Za-z0-9_-]+)/;

export function collectionName(
  entityType: string,
  entityName: string | null | undefined,
  entityId: string,
): string {
  const name = (entityName ?? '').trim();
  return `${entityType} - ${name.length > 0 ? name : entityId}`;
}

export function collectionDescription(owner: EntityRef): string {
  return `Documents of EspoCRM ${owner.entityType} ${owner.entityId}, kept by bitbylaw-hub.\n${ownerLine(owner)}`;
}

function ownerLine(owner: EntityRef): string {
  return `espocrm_entity_type=${owner.entityType}; espocrm_entity_id=${owner.entityId}`;
}

/**
 * The description of a collection the hub adopts (made by the old hub, reached through
 * the entity's `xaiCollectionId`): whatever it said, plus the owner line.
 */
export function adoptedDescription(existing: string | null | undefined, owner: EntityRef): string {
  const kept = (existing ?? '').trim();
  return kept.length > 0 ? `${kept}\n${ownerLine(owner)}` : collectionDescription(owner);
}

export function collectionInput(
  owner: EntityRef,
  entityName: string | null | undefined,
): XaiCollectionInput {
  return {
    name: collectionName(owner.entityType, entityName, owner.entityId),
    description: collectionDescription(owner),
    fieldDefinitions: COLLECTION_FIELD_DEFINITIONS,
  };
}

/** The owning entity written by `collectionDescription`, or undefined for a collection the hub did not make. */
export function collectionOwner(description: string | null | undefined): EntityRef | undefined {
  const m = OWNER_LINE.exec(description ?? '');
  return m ? { entityType: m[1], entityId: m[2] } : undefined;
}

/** Field definitions a collection still lacks (one made before the fields existed, or by hand). */
export function missingFieldDefinitions(
  existing: XaiFieldDefinition[] | undefined,
): XaiFieldDefinition[] {
  const keys = new Set((existing ?? []).map((d) => d.key));
  return COLLECTION_FIELD_DEFINITIONS.filter((d) => !keys.has(d.key));
}

/** The fields a CDokumente membership carries. */
export function documentFields(documentId: string): Record<string, string> {
  return { [ENTITY_TYPE_FIELD]: 'CDokumente', [ENTITY_ID_FIELD]: documentId };
}

/** A membership without the hub's fields (the old hub added it, or someone by hand). */
export function isUntagged(fields: Record<string, string> | undefined): boolean {
  return !fields?.[ENTITY_TYPE_FIELD] || !fields?.[ENTITY_ID_FIELD];
}

export function isDocumentMembership(
  fields: Record<string, string> | undefined,
  documentId: string,
): boolean {
  return fields?.[ENTITY_TYPE_FIELD] === 'CDokumente' && fields?.[ENTITY_ID_FIELD] === documentId;
}
