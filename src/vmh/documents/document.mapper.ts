import type { CDokumente, EspoRecord } from '../../integrations/espocrm/espocrm.types.js';
import type { DocumentState } from './document-sync.decision.js';

/**
 * Field mapping of CDokumente and its links (DOMAIN.md "EspoCRM entities"): the one
 * place that knows the field and link names, so a correction touches one file.
 */

/** The reverse link on CDokumente is named after the entity type in lower camel case. */
export function reverseLinkName(entityType: string): string {
  return entityType.charAt(0).toLowerCase() + entityType.slice(1);
}

export const LINKED_ENTITY_SELECT = ['id', 'name', 'xaiCollectionId'];

/**
 * Where a record read carries the ids of a reverse link that has a link-multiple
 * field of the same name (EspoCRM loads `{field}Ids` and `{field}Names` with every
 * record read, unless the field is `noLoad`).
 */
export function linkIdsAttribute(entityType: string): string {
  return `${reverseLinkName(entityType)}Ids`;
}

export interface LinkedReadPlan {
  /** The linked entities' ids per collection type, as the record carries them. */
  fromRecord: Array<{ entityType: string; ids: string[] }>;
  /** Collection types whose ids the record lacks: their related lists must be read. */
  listReads: string[];
}

/**
 * Which links the record answers itself: a type whose `{link}Ids` is an array of
 * ids needs no related-list read; a missing (or malformed) one does.
 */
export function planLinkedReads(record: EspoRecord, types: readonly string[]): LinkedReadPlan {
  const plan: LinkedReadPlan = { fromRecord: [], listReads: [] };
  for (const entityType of types) {
    const ids = record[linkIdsAttribute(entityType)];
    if (Array.isArray(ids) && ids.every((x) => typeof x === 'string' && x.length > 0))
      plan.fromRecord.push({ entityType, ids: [...new Set(ids as string[])] });
    else plan.listReads.push(entityType);
  }
  return plan;
}

export function readDocumentState(record: CDokumente): DocumentState {
  return {
    id: record.id,
    dokumentId: nonEmpty(record.dokumentId),
    xaiId: nonEmpty(record.xaiId),
    xaiCollections: readStringList(record.xaiCollections),
    xaiSyncedHash: nonEmpty(record.xaiSyncedHash),
    md5sum: nonEmpty(record.md5sum),
    // `dateiStatus`: the old hub's name of the field on some records.
    fileStatus: nonEmpty(record.fileStatus) ?? nonEmpty((record as EspoRecord).dateiStatus),
    syncErrorMessage: nonEmpty(record.syncErrorMessage),
  };
}

/** The file's name as the record carries it (`dokumentName`, loaded with the file field). */
export function documentFileName(record: CDokumente): string | null {
  return nonEmpty(record.dokumentName);
}

/**
 * Name and type of a downloaded file for xAI: the record's file name first, then
 * the download's `Content-Disposition`, then the document id; the download's
 * `Content-Type`, generic when absent (the extension then decides support).
 */
export function downloadedFile(
  recordFileName: string | null,
  head: { contentType?: string; filename?: string },
  documentId: string,
): { filename: string; mimeType: string } {
  return {
    filename: recordFileName ?? nonEmpty(head.filename) ?? documentId,
    mimeType: nonEmpty(head.contentType) ?? 'application/octet-stream',
  };
}

export interface LinkedEntity {
  entityType: string;
  entityId: string;
  xaiCollectionId: string | null;
}

export function toLinkedEntity(entityType: string, record: EspoRecord): LinkedEntity {
  return { entityType, entityId: record.id, xaiCollectionId: nonEmpty(record.xaiCollectionId) };
}

export interface RequiredCollections {
  /** Collection id → the entity that owns it. */
  owners: Map<string, { entityType: string; entityId: string }>;
  /** Linked entities that have no collection yet. */
  missing: Array<{ entityType: string; entityId: string }>;
}

export function requiredCollections(linked: LinkedEntity[]): RequiredCollections {
  const owners = new Map<string, { entityType: string; entityId: string }>();
  const missing: Array<{ entityType: string; entityId: string }> = [];
  for (const e of linked) {
    const ref = { entityType: e.entityType, entityId: e.entityId };
    if (e.xaiCollectionId) owners.set(e.xaiCollectionId, ref);
    else missing.push(ref);
  }
  return { owners, missing };
}

export interface SyncedDocument {
  xaiId: string | null;
  xaiCollections: string[];
  /**
   * MD5 of the file xAI holds, when this run knows it matches the attachment.
   * Without it only the memberships are written: a file that changed while the
   * document belonged to no collection must still look changed later.
   */
  confirmedHash?: string;
}

export function syncedFields(s: SyncedDocument): Record<string, unknown> {
  const fields: Record<string, unknown> = {
    xaiId: s.xaiId,
    xaiCollections: [...s.xaiCollections].sort(),
  };
  if (s.confirmedHash !== undefined) {
    Object.assign(fields, {
      xaiSyncedHash: s.confirmedHash,
      md5sum: s.confirmedHash,
      fileStatus: 'synced',
      syncErrorMessage: null,
    });
  }
  return fields;
}

/** Only what changed, so an echo of the hub's own write compares equal and ends there. */
export function changedFields(
  state: DocumentState,
  fields: Record<string, unknown>,
): Record<string, unknown> {
  const current: Record<string, unknown> = {
    xaiId: state.xaiId,
    xaiCollections: [...state.xaiCollections].sort(),
    xaiSyncedHash: state.xaiSyncedHash,
    md5sum: state.md5sum,
    fileStatus: state.fileStatus,
    syncErrorMessage: state.syncErrorMessage,
  };
  return Object.fromEntries(
    Object.entries(fields).filter(
      ([k, v]) => JSON.stringify(current[k] ?? null) !== JSON.stringify(v ?? null),
    ),
  );
}

export function failedFields(reason: string): Record<string, unknown> {
  return { fileStatus: 'failed', syncErrorMessage: reason.slice(0, 1000) };
}

/** After a delete the record (if it still exists) no longer points at xAI. */
export function clearedReferenceFields(): Record<string, unknown> {
  return { xaiId: null, xaiCollections: [], xaiSyncedHash: null };
}

function nonEmpty(value: unknown): string | null {
  return typeof value === 'string' && value.length > 0 ? value : null;
}

/** `jsonArray` fields arrive as arrays; a hand-edited value may be a JSON string or null. */
export function readStringList(value: unknown): string[] {
  let list: unknown = value;
  if (typeof value === 'string') {
    try {
      list = JSON.parse(value);
    } catch {
      list = value.split(',');
    }
  }
  if (!Array.isArray(list)) return [];
  return [
    ...new Set(
      list
        .filter((v): v is string => typeof v === 'string' && v.trim().length > 0)
        .map((v) => v.trim()),
    ),
  ];
}
