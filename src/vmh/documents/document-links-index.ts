/**
 * The learned links index of one document, as pure functions: which owners (entity
 * ids per collection type) the document sync found in the document's related lists,
 * tagged with the document's link epoch read before those lists were read.
 *
 * Why reusing them is as safe as reading the lists again: EspoCRM does not fire a
 * document's update webhook when only a relationship changes; every relationship
 * change comes through /vmh/webhook/entity/link|unlink, whose intake bumps the
 * document's epoch before it enqueues the document's sync. A run reads the epoch
 * before it reads the lists, so any change its lists may have missed bumps the epoch
 * away from the tag it stores, and what it learned is never trusted. A lost link
 * webhook is bounded by DOCUMENT_LINKS_CACHE_TTL_S (the entry expires).
 * Owners are ids only: their collection ids come from CollectionIdCache under the
 * collection generation, as for `{link}Ids` (collection-id-cache.ts).
 */

/** Owner ids per collection type, for the types the document's record does not name. */
export type LearnedOwners = ReadonlyMap<string, readonly string[]>;

export interface LinksIndexEntry {
  /** The document's link epoch when read; `'0'` when none is stored (no link event within the TTL). */
  epoch: string;
  /** The learned owners, only when they were learned under `epoch`. */
  owners?: LearnedOwners;
}

/** The hash fields, in the order the store reads them (HMGET). */
export const LINKS_INDEX_FIELDS = ['epoch', 'owners', 'ownersEpoch'] as const;

/** An HMGET answer of LINKS_INDEX_FIELDS as an entry: owners learned under another epoch are dropped. */
export function readLinksIndex(fields: ReadonlyArray<string | null>): LinksIndexEntry {
  const [epoch, owners, ownersEpoch] = fields;
  const current = epoch ?? '0';
  if (owners === null || owners === undefined || (ownersEpoch ?? '0') !== current)
    return { epoch: current };
  const decoded = decodeOwners(owners);
  return decoded ? { epoch: current, owners: decoded } : { epoch: current };
}

export function encodeOwners(owners: LearnedOwners): string {
  return JSON.stringify(Object.fromEntries(owners));
}

/** undefined for anything not written by encodeOwners (then the lists are read). */
export function decodeOwners(text: string): LearnedOwners | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return undefined;
  const owners = new Map<string, string[]>();
  for (const [entityType, ids] of Object.entries(parsed as Record<string, unknown>)) {
    if (!Array.isArray(ids) || !ids.every((x) => typeof x === 'string' && x.length > 0))
      return undefined;
    owners.set(entityType, ids as string[]);
  }
  return owners;
}

export interface IndexedReadPlan {
  /** Types the index answers, with their owner ids. */
  fromIndex: Array<{ entityType: string; ids: string[] }>;
  /** Types whose related lists must still be read. */
  listReads: string[];
}

/** Which of the types the record does not name the index answers; the rest need their lists. */
export function planIndexedReads(
  listReads: readonly string[],
  owners: LearnedOwners | undefined,
): IndexedReadPlan {
  const plan: IndexedReadPlan = { fromIndex: [], listReads: [] };
  for (const entityType of listReads) {
    const ids = owners?.get(entityType);
    if (ids) plan.fromIndex.push({ entityType, ids: [...ids] });
    else plan.listReads.push(entityType);
  }
  return plan;
}
