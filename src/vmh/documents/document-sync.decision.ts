import { documentStatusKind, isChangedStatus } from './document-status.js';

/**
 * Pure decisions of the document sync (DOMAIN.md "Documents → xAI"). The service
 * reads EspoCRM, calls these, and does what they say; every row is unit-tested.
 */

export interface DocumentState {
  id: string;
  /** Attachment id of the file. */
  dokumentId: string | null;
  xaiId: string | null;
  /** Collections the file is a member of, as last written by the hub. */
  xaiCollections: string[];
  xaiSyncedHash: string | null;
  md5sum: string | null;
  fileStatus: string | null;
  syncErrorMessage: string | null;
}

export type SyncDecision =
  | { action: 'skip'; reason: string }
  /** `fetchFile`: the attachment must be read (and maybe uploaded); otherwise memberships/status only. */
  | { action: 'sync'; fetchFile: boolean; reason: string };

/** Whether the file may differ from what xAI holds, judged without downloading it. */
export function fileMayHaveChanged(doc: DocumentState): boolean {
  if (isChangedStatus(doc.fileStatus)) return true;
  return doc.md5sum === null || doc.md5sum !== doc.xaiSyncedHash;
}

export function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const sa = new Set(a);
  const sb = new Set(b);
  return sa.size === sb.size && [...sa].every((x) => sb.has(x));
}

/**
 * The cheap check: only the record and the required collections, no file.
 * A document that belongs to no collection is never uploaded; one that does is
 * uploaded when it has no `xaiId` yet or its file may have changed.
 */
export function decideDocumentSync(doc: DocumentState, required: readonly string[]): SyncDecision {
  if (required.length === 0 && doc.xaiCollections.length === 0) {
    return { action: 'skip', reason: 'belongs to no collection' };
  }
  if (required.length > 0 && (doc.xaiId === null || fileMayHaveChanged(doc))) {
    if (doc.dokumentId === null) return { action: 'skip', reason: 'no file attached' };
    return {
      action: 'sync',
      fetchFile: true,
      reason: doc.xaiId === null ? 'not uploaded yet' : 'file may have changed',
    };
  }
  if (!sameSet(doc.xaiCollections, required)) {
    return { action: 'sync', fetchFile: false, reason: 'collections differ' };
  }
  if (documentStatusKind(doc.fileStatus) !== 'synced')
    return { action: 'sync', fetchFile: false, reason: `status ${doc.fileStatus ?? 'empty'}` };
  return { action: 'skip', reason: 'in sync' };
}

/** After the download: upload only new content (or a document that has no file in xAI yet). */
export function needsUpload(
  doc: Pick<DocumentState, 'xaiId' | 'xaiSyncedHash'>,
  fileMd5: string,
): boolean {
  return doc.xaiId === null || doc.xaiSyncedHash !== fileMd5;
}

export interface MembershipPlan {
  /** Collections to add `fileId` to. */
  add: string[];
  /** Memberships to end; the files themselves stay. */
  remove: Array<{ collectionId: string; fileId: string }>;
}

/**
 * A new upload (fileId ≠ previous xaiId) moves every membership to the new file;
 * otherwise only the difference between current and required changes.
 */
export function planMemberships(input: {
  current: readonly string[];
  required: readonly string[];
  previousFileId: string | null;
  fileId: string | null;
}): MembershipPlan {
  const { current, required, previousFileId, fileId } = input;
  const remove: MembershipPlan['remove'] = [];
  let add: string[];
  if (fileId !== previousFileId) {
    add = fileId === null ? [] : [...new Set(required)];
    if (previousFileId !== null)
      current.forEach((collectionId) => remove.push({ collectionId, fileId: previousFileId }));
  } else {
    add = fileId === null ? [] : [...new Set(required)].filter((c) => !current.includes(c));
    if (fileId !== null)
      current
        .filter((c) => !required.includes(c))
        .forEach((collectionId) => remove.push({ collectionId, fileId }));
  }
  return { add, remove };
}
