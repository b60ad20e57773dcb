import { createHash, randomUUID } from 'node:crypto';
import type { CDokumente } from '../../src/integrations/espocrm/espocrm.types.js';
import {
  COLLECTION_FIELD_DEFINITIONS,
  collectionDescription,
  collectionName,
} from '../../src/xai/collection.mapper.js';
import type { EspoCrmFake } from '../../test/fakes/espocrm/espocrm.fake.js';
import type { XaiFake } from '../../test/fakes/xai/xai.fake.js';

/**
 * The documents the storm scenarios work on, as a firm has them: 200 owners of the
 * three collection types (parties, accounts, eviction cases), each with its xAI
 * collection, and documents linked to one to three of them. The EspoCRM fake runs
 * without link-multiple fields (`{link}Ids`), which DOMAIN.md does not promise: the
 * hub learns a document's owners from its related lists. Deterministic (seeded), so
 * every run and every layout of the scale-out scenario sees the same world.
 */
export const OWNER_TYPES: Array<{ entityType: string; count: number }> = [
  { entityType: 'CBeteiligte', count: 100 },
  { entityType: 'Account', count: 60 },
  { entityType: 'CVmhRaeumungsklage', count: 40 },
];

export interface Owner {
  entityType: string;
  entityId: string;
  collectionId: string;
}

export interface DocumentWorld {
  owners: Owner[];
  /** Document id → the collections it belongs to (one per linked owner). */
  collectionsOf: Map<string, string[]>;
  docIds: string[];
}

// Ids shaped like the real systems' (17 hex digits; `collection_` + UUID): the hub's
// metrics fold such path segments into `:id`, as they would in production.
const espoId = (prefix: string, i: number) => `${prefix}${i.toString(16).padStart(11, '0')}`;
const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');
const content = (i: number, version: number) =>
  Buffer.from(`Akte ${i}, Fassung ${version}\n${'Schriftsatz. '.repeat(150)}`);

/** mulberry32: a small seeded PRNG, so the world is the same in every run. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Owners with their collections (in the xAI fake, made as the hub makes them) and
 * `count` new documents (`fileStatus=neu`, no `xaiId`), each linked to 1–3 distinct
 * owners. The hub's initial sync then uploads them as it would in production.
 */
export function seedWorld(espo: EspoCrmFake, xai: XaiFake, count: number): DocumentWorld {
  espo.setLinkMultipleFields(false);
  const random = rng(0x5eed);
  const owners: Owner[] = [];
  let n = 0;
  for (const { entityType, count: perType } of OWNER_TYPES) {
    for (let i = 0; i < perType; i++, n++) {
      const entityId = espoId('6a1bbe', n);
      const name = `Bench ${entityType} ${i}`;
      const collectionId = `collection_${randomUUID()}`;
      espo.put(entityType, { id: entityId, name, xaiCollectionId: collectionId });
      owners.push({ entityType, entityId, collectionId });
      xai.seed({
        collections: [
          {
            collection_id: collectionId,
            collection_name: collectionName(entityType, name, entityId),
            collection_description: collectionDescription({ entityType, entityId }),
            field_definitions: COLLECTION_FIELD_DEFINITIONS.map((d) => ({ ...d })),
          },
        ],
      });
    }
  }
  const collectionsOf = new Map<string, string[]>();
  const docIds: string[] = [];
  for (let i = 0; i < count; i++) {
    const bytes = content(i, 1);
    const filename = `akte-${i}.txt`;
    const dokumentId = espo.addAttachment({ name: filename, type: 'text/plain', bytes });
    const id = espoId('6a1bd0', i);
    espo.put<CDokumente>('CDokumente', {
      id,
      name: filename,
      dokumentId,
      dokumentName: filename,
      md5sum: md5(bytes),
      fileStatus: 'neu',
    });
    const links = 1 + Math.floor(random() * 3);
    const mine = new Set<Owner>();
    while (mine.size < links) mine.add(owners[Math.floor(random() * owners.length)]);
    for (const o of mine) espo.linkRecords(o.entityType, o.entityId, 'dokumente', [id]);
    collectionsOf.set(
      id,
      [...mine].map((o) => o.collectionId),
    );
    docIds.push(id);
  }
  return { owners, collectionsOf, docIds };
}

/**
 * A new file as EspoCRM records it: a new attachment in `dokumentId`, its MD5 in
 * `md5sum` and `fileStatus=geändert`. Answers each document's new MD5.
 */
export function changeFiles(espo: EspoCrmFake, docIds: string[]): Map<string, string> {
  const changed = new Map<string, string>();
  for (const id of docIds) {
    const bytes = content(parseInt(id.slice(6), 16), 2);
    const name = `akte-neu-${id}.txt`;
    const dokumentId = espo.addAttachment({ name, type: 'text/plain', bytes });
    espo.patch('CDokumente', id, {
      dokumentId,
      dokumentName: name,
      md5sum: md5(bytes),
      fileStatus: 'geändert',
    });
    changed.set(id, md5(bytes));
  }
  return changed;
}

/** Documents whose record does not show the expected file synced into exactly its collections. */
export function notSynced(
  espo: EspoCrmFake,
  world: DocumentWorld,
  expected: Map<string, string>,
): string[] {
  return [...expected].flatMap(([id, hash]) => {
    const d = espo.get<CDokumente>('CDokumente', id);
    const want = [...(world.collectionsOf.get(id) ?? [])].sort().join(',');
    const have = [...((d?.xaiCollections as string[] | undefined) ?? [])].sort().join(',');
    return d?.fileStatus === 'synced' && d.xaiSyncedHash === hash && have === want ? [] : [id];
  });
}

/** Each document's current MD5, for `notSynced` after the initial sync. */
export function currentHashes(espo: EspoCrmFake, docIds: string[]): Map<string, string> {
  return new Map(docIds.map((id) => [id, espo.get<CDokumente>('CDokumente', id)!.md5sum!]));
}

/**
 * The upstream calls a storm over `docIds` needs at the least: every document's
 * record is read once (the webhook says only "changed"); a document with a new
 * file also needs its download, one upload, an add of the new file to each of its
 * collections, a remove of the old one from each (removing never deletes) and one
 * write-back of `xaiId`/`xaiSyncedHash`/`fileStatus`.
 */
export function necessaryCalls(
  world: DocumentWorld,
  docIds: string[],
  changed: ReadonlySet<string>,
): { espocrm: number; xai: number } {
  let espocrm = 0;
  let xai = 0;
  for (const id of docIds) {
    espocrm += 1;
    if (!changed.has(id)) continue;
    const k = world.collectionsOf.get(id)?.length ?? 0;
    espocrm += 2; // download, write-back
    xai += 1 + 2 * k; // upload, k adds, k removes
  }
  return { espocrm, xai };
}

/** Event k is for document k mod n: every document's events spread over the whole storm. */
export function eventBatches(
  docIds: string[],
  perDocument: number,
  batch: number,
): Array<Array<{ id: string }>> {
  const events = Array.from({ length: docIds.length * perDocument }, (_, k) => ({
    id: docIds[k % docIds.length],
  }));
  const out: Array<Array<{ id: string }>> = [];
  for (let i = 0; i < events.length; i += batch) out.push(events.slice(i, i + batch));
  return out;
}

/** Upstream calls per 250 ms since `t0`: shows whether the workers were busy the whole drain. */
export function upstreamTimeline(requests: Array<{ at: number }>, t0: number): number[] {
  const buckets: number[] = [];
  for (const r of requests) {
    const b = Math.max(0, Math.floor((r.at - t0) / 250));
    while (buckets.length <= b) buckets.push(0);
    buckets[b] += 1;
  }
  return buckets;
}
