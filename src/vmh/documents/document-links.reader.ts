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
 * record read once the type is known to need it.
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
  ) {}

  /** The record and its linked entities of every collection type; undefined when the record is gone. */
  async load(id: string): Promise<{ record: CDokumente; linked: LinkedEntity[] } | undefined> {
    const ticket = this.ownerReads.ticket();
    const generation = this.collectionGeneration();
    const types = this.config.xai.collectionEntityTypes;
    const early = new Map<string, Promise<LinkedEntity[]>>();
    for (const t of types.filter((t) => this.listOnlyTypes.has(t))) {
      const list = this.linked(id, t);
      list.catch(() => undefined);
      early.set(t, list);
    }
    let record: CDokumente;
    try {
      record = await this.espo.get<CDokumente>(DOCUMENT_ENTITY, id);
    } catch (err) {
      if (err instanceof UpstreamNotFoundError) return undefined;
      throw err;
    }
    const plan = planLinkedReads(record, types);
    plan.listReads.forEach((t) => this.listOnlyTypes.add(t));
    plan.fromRecord.forEach((r) => this.listOnlyTypes.delete(r.entityType));

    const observed = await generation;
    const [lists, owners] = await Promise.all([
      Promise.allSettled(plan.listReads.map((t) => early.get(t) ?? this.linked(id, t))),
      Promise.all(
        plan.fromRecord.flatMap(({ entityType, ids }) =>
          ids.map((ownerId) => this.owner(entityType, ownerId, ticket, observed)),
        ),
      ),
    ]);
    const linked = owners.filter((o): o is LinkedEntity => o !== null);
    lists.forEach((l, i) => {
      if (l.status === 'rejected') {
        const type = plan.listReads[i];
        if (l.reason instanceof UpstreamNotFoundError) {
          // The record exists, so the link does not: a configuration error no retry fixes.
          throw new ValidationError(
            `${DOCUMENT_ENTITY} has no link ${reverseLinkName(type)} for collection type ${type}: ${(l.reason as Error).message}`,
          );
        }
        throw l.reason;
      }
      linked.push(...l.value);
    });
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

  private async linked(id: string, entityType: string): Promise<LinkedEntity[]> {
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
    return out;
  }
}

function ownerKey(entityType: string, entityId: string): string {
  return `${entityType}:${entityId}`;
}
