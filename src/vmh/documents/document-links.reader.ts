import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '../../config/app-config.js';
import { UpstreamNotFoundError, ValidationError } from '../../core/errors/upstream.errors.js';
import { EspoCrmClient } from '../../integrations/espocrm/espocrm.client.js';
import type { CDokumente, EspoRecord } from '../../integrations/espocrm/espocrm.types.js';
import type { EntityRef } from '../../xai/collection.mapper.js';
import { CollectionGenerationStore } from '../../xai/collection-generation.store.js';
import { CollectionIdCache } from './collection-id-cache.js';
import { DOCUMENT_ENTITY } from './document.jobs.js';
import {
  LINKED_ENTITY_SELECT,
  planLinkedReads,
  reverseLinkName,
  toLinkedEntity,
  type LinkedEntity,
} from './document.mapper.js';
import {
  planIndexedReads,
  type LearnedOwners,
  type LinksIndexEntry,
} from './document-links-index.js';
import { DocumentLinksIndexStore } from './document-links-index.store.js';
import { FreshReadCoalescer } from './fresh-read-coalescer.js';

/**
 * A document record and its linked entities, at the least EspoCRM read cost: the
 * record, which names its linked entities in `{link}Ids`, and nothing else while
 * the entities' collection ids are cached under the current collection generation
 * (one Redis GET beside the record read; collection-id-cache.ts says why that is
 * safe). The record alone cannot answer: `{link}Ids` holds entity ids, and the
 * collection manager may just have replaced an entity's collection. A cache miss
 * reads the entity, shared by all runs that started before that read.
 * Without `{link}Ids` on the record (a relationship made without its link-multiple
 * field) each collection type costs one related-list read, issued beside the
 * record read once the type is known to need it — unless the document's learned
 * links index (document-links-index.ts: one HMGET, beside the generation GET) still
 * names its owners of that type; then they are resolved as `{link}Ids` are. The
 * lists also give their entities' collection ids, which go into the cache.
 */
@Injectable()
export class DocumentLinksReader {
  private readonly logger = new Logger(DocumentLinksReader.name);
  private readonly ownerReads = new FreshReadCoalescer<LinkedEntity | null>();
  private readonly collectionIds = new CollectionIdCache<LinkedEntity | null>();
  /** Collection types whose records came without `{link}Ids` last time. */
  private readonly listOnlyTypes = new Set<string>();

  constructor(
    private readonly espo: EspoCrmClient,
    private readonly config: AppConfig,
    private readonly generations: CollectionGenerationStore,
    private readonly index: DocumentLinksIndexStore,
  ) {}

  /** The record and its linked entities of every collection type; undefined when the record is gone. */
  async load(id: string): Promise<{ record: CDokumente; linked: LinkedEntity[] } | undefined> {
    const ticket = this.ownerReads.ticket();
    const generation = this.collectionGeneration();
    const types = this.config.xai.collectionEntityTypes;
    const expected = types.filter((t) => this.listOnlyTypes.has(t));
    // Issued in the same tick as the generation GET, on the same connection: the two
    // share a round trip, and both answer long before the record read does. Only when
    // records lately came without `{link}Ids`; otherwise read after the record, and
    // only if it proves to lack them.
    let indexRead = this.index.enabled && expected.length > 0 ? this.readIndex(id) : undefined;
    const recordRead = this.espo.get<CDokumente>(DOCUMENT_ENTITY, id);
    recordRead.catch(() => undefined);
    const early = new Map<string, Promise<LinkedEntity[]>>();
    if (expected.length > 0) {
      const [entry, seed] = indexRead
        ? await Promise.all([indexRead, generation])
        : [null, undefined];
      for (const t of expected.filter((t) => !entry?.owners?.has(t))) {
        const list = this.linked(id, t, seed);
        list.catch(() => undefined);
        early.set(t, list);
      }
    }
    let record: CDokumente;
    try {
      record = await recordRead;
    } catch (err) {
      if (err instanceof UpstreamNotFoundError) {
        if (this.index.enabled) await this.dropIndex(id);
        return undefined;
      }
      throw err;
    }
    const plan = planLinkedReads(record, types);
    plan.listReads.forEach((t) => this.listOnlyTypes.add(t));
    plan.fromRecord.forEach((r) => this.listOnlyTypes.delete(r.entityType));

    const observed = await generation;
    // Records that carry `{link}Ids` for every type never touch the index.
    const entry =
      this.index.enabled && plan.listReads.length > 0
        ? await (indexRead ??= this.readIndex(id))
        : null;
    const reads = planIndexedReads(plan.listReads, entry?.owners);
    const seed = this.index.enabled ? observed : undefined;
    const [lists, owners] = await Promise.all([
      Promise.allSettled(reads.listReads.map((t) => early.get(t) ?? this.linked(id, t, seed))),
      Promise.all(
        [...plan.fromRecord, ...reads.fromIndex].flatMap(({ entityType, ids }) =>
          ids.map((ownerId) => this.owner(entityType, ownerId, ticket, observed)),
        ),
      ),
    ]);
    const linked = owners.filter((o): o is LinkedEntity => o !== null);
    const learned = new Map(reads.fromIndex.map((r) => [r.entityType, r.ids]));
    lists.forEach((l, i) => {
      const type = reads.listReads[i];
      if (l.status === 'rejected') {
        if (l.reason instanceof UpstreamNotFoundError) {
          // The record exists, so the link does not: a configuration error no retry fixes.
          throw new ValidationError(
            `${DOCUMENT_ENTITY} has no link ${reverseLinkName(type)} for collection type ${type}: ${(l.reason as Error).message}`,
          );
        }
        throw l.reason;
      }
      linked.push(...l.value);
      learned.set(
        type,
        l.value.map((e) => e.entityId),
      );
    });
    // Tagged with the epoch read before the lists were: a link event since then moved it.
    if (entry && reads.listReads.length > 0) await this.learn(id, entry.epoch, learned);
    return { record, linked };
  }

  /** The entity's collection is gone: its cached collection id is not trusted again. */
  forgetCollectionOf(owner: EntityRef): void {
    this.collectionIds.forget(ownerKey(owner.entityType, owner.entityId));
  }

  /**
   * The collection generation as this run starts; null when Redis does not answer
   * (then nothing cached is trusted and every entity is read).
   */
  private collectionGeneration(): Promise<string | null> {
    return this.generations.current().catch((err: unknown) => {
      this.logger.warn(
        `collection generation unreadable, reading linked entities: ${(err as Error).message}`,
      );
      return null;
    });
  }

  /**
   * A linked entity's collection id: cached under the run's generation, else read
   * after this run started (shared with the runs that started before the read);
   * null when the entity is gone.
   */
  private async owner(
    entityType: string,
    entityId: string,
    ticket: number,
    generation: string | null,
  ): Promise<LinkedEntity | null> {
    const key = ownerKey(entityType, entityId);
    const cached = this.collectionIds.get(key, generation, Date.now());
    if (cached) return cached.value;
    return this.ownerReads.read(key, ticket, async () => {
      const page = await this.espo.list<EspoRecord>(entityType, {
        where: [{ type: 'equals', attribute: 'id', value: entityId }],
        select: LINKED_ENTITY_SELECT,
        maxSize: 1,
      });
      const owner = page.list[0] ? toLinkedEntity(entityType, page.list[0]) : null;
      // Under the generation observed before this read was issued.
      this.collectionIds.set(key, generation, owner, Date.now());
      return owner;
    });
  }

  /**
   * A related list. With `seed` (the generation observed before this read was issued,
   * as owner() requires) its entities' collection ids go into the cache, so a run
   * that takes the owners from the index reads none of them again.
   */
  private async linked(
    id: string,
    entityType: string,
    seed: string | null | undefined,
  ): Promise<LinkedEntity[]> {
    const out: LinkedEntity[] = [];
    for await (const r of this.espo.listAllRelated<EspoRecord>(
      DOCUMENT_ENTITY,
      id,
      reverseLinkName(entityType),
      {
        select: LINKED_ENTITY_SELECT,
      },
    )) {
      out.push(toLinkedEntity(entityType, r));
    }
    if (seed !== undefined) {
      const now = Date.now();
      for (const e of out) this.collectionIds.set(ownerKey(entityType, e.entityId), seed, e, now);
    }
    return out;
  }

  /** Read once per run; a Redis failure is a miss (the lists are read), said once. */
  private readIndex(id: string): Promise<LinksIndexEntry | null> {
    return this.index.read(id).catch((err: unknown) => {
      this.logger.warn(
        `links index of ${DOCUMENT_ENTITY}/${id} unreadable, reading its related lists: ${(err as Error).message}`,
      );
      return null;
    });
  }

  /** The index is an optimisation: not storing costs the next run its list reads, nothing else. */
  private async learn(id: string, epoch: string, owners: LearnedOwners): Promise<void> {
    try {
      await this.index.learn(id, epoch, owners);
    } catch (err) {
      this.logger.debug(
        `links index of ${DOCUMENT_ENTITY}/${id} not stored: ${(err as Error).message}`,
      );
    }
  }

  private async dropIndex(id: string): Promise<void> {
    try {
      await this.index.drop(id);
    } catch (err) {
      this.logger.debug(
        `links index of ${DOCUMENT_ENTITY}/${id} not dropped: ${(err as Error).message}`,
      );
    }
  }
}

function ownerKey(entityType: string, entityId: string): string {
  return `${entityType}:${entityId}`;
}
