import { Inject, Injectable, Logger } from '@nestjs/common';
import { Redis } from 'ioredis';
import { AppConfig } from '../config/app-config.js';
import { UpstreamNotFoundError } from '../core/errors/upstream.errors.js';
import { JobProducer } from '../core/queue/job-producer.service.js';
import { REDIS } from '../core/redis/redis.module.js';
import { EspoCrmClient } from '../integrations/espocrm/espocrm.client.js';
import type { EspoRecord } from '../integrations/espocrm/espocrm.types.js';
import { XaiClient } from '../integrations/xai/xai.client.js';
import type { XaiCollection, XaiCollectionUpdate } from '../integrations/xai/xai.types.js';
import { CollectionAdoption } from './collection-adoption.service.js';
import { CollectionGenerationStore } from './collection-generation.store.js';
import { DocumentTopics } from './xai.jobs.js';
import {
  collectionInput,
  collectionName,
  collectionOwner,
  missingFieldDefinitions,
  type EntityRef,
} from './collection.mapper.js';

export type EnsureOutcome =
  'verified' | 'created' | 'adopted' | 'entity_gone' | 'not_a_collection_type';

/** The link from an entity to the documents whose collection it owns (DOMAIN.md, "Links"). */
export const DOCUMENTS_LINK = 'dokumente';

/**
 * One xAI collection per entity of a collection type. The stored
 * `xaiCollectionId` is trusted only after xAI confirms it; a new collection is
 * found again by its description before one is created, so a create whose
 * write-back failed is not repeated on retry.
 */
@Injectable()
export class CollectionManagerService {
  private readonly logger = new Logger(CollectionManagerService.name);

  constructor(
    private readonly espo: EspoCrmClient,
    private readonly xai: XaiClient,
    private readonly producer: JobProducer,
    private readonly config: AppConfig,
    @Inject(REDIS) private readonly redis: Redis,
    private readonly adoption: CollectionAdoption,
    private readonly generation: CollectionGenerationStore,
  ) {}

  isCollectionType(entityType: string): boolean {
    return this.config.xai.collectionEntityTypes.includes(entityType);
  }

  async ensureCollection(owner: EntityRef, traceId: string): Promise<EnsureOutcome> {
    const label = `${owner.entityType}/${owner.entityId}`;
    if (!this.isCollectionType(owner.entityType)) {
      this.logger.warn(
        `collection for ${label} skipped: ${owner.entityType} is not in XAI_COLLECTION_ENTITY_TYPES`,
      );
      return 'not_a_collection_type';
    }
    let entity: EspoRecord;
    try {
      entity = await this.espo.get(owner.entityType, owner.entityId);
    } catch (err) {
      if (err instanceof UpstreamNotFoundError) {
        this.logger.log(`collection for ${label} skipped: the entity is gone from EspoCRM`);
        return 'entity_gone';
      }
      throw err;
    }
    const name = typeof entity.name === 'string' ? entity.name : null;
    const storedId =
      typeof entity.xaiCollectionId === 'string' && entity.xaiCollectionId
        ? entity.xaiCollectionId
        : null;

    if (storedId) {
      const existing = await this.confirm(storedId);
      if (existing) {
        // A collection the old hub made gets the owner line and its memberships the tags.
        await this.adoption.ensureAdopted(
          storedId,
          owner,
          await this.repair(existing, owner, name),
        );
        if (await this.redis.exists(this.stormPendingKey(owner))) {
          const documents = await this.storm(owner, traceId);
          this.logger.log(
            `collection ${storedId} of ${label} verified; the interrupted storm resumed, ${documents} documents enqueued`,
          );
          return 'verified';
        }
        this.logger.debug(`collection ${storedId} of ${label} verified`);
        return 'verified';
      }
      this.logger.warn(`collection ${storedId} of ${label} is gone on the xAI side; recreating`);
    }

    const found = await this.findOwned(owner);
    const collection = found ?? (await this.xai.createCollection(collectionInput(owner, name)));
    if (found) await this.repair(found, owner, name);
    await this.adoption.remember(collection.collection_id);
    // Set before the write, cleared after the storm: if the job fails in between (the
    // write's answer lost, the document list failing), its retry finds the id stored and
    // would only verify it, leaving documents synced without this collection.
    await this.redis.set(this.stormPendingKey(owner), '1', 'EX', 7 * 86_400);
    await this.espo.update(owner.entityType, owner.entityId, {
      xaiCollectionId: collection.collection_id,
    });
    const documents = await this.storm(owner, traceId);
    const outcome: EnsureOutcome = found ? 'adopted' : 'created';
    this.logger.log(
      `collection ${collection.collection_id} of ${label} ${outcome}; ${documents} documents enqueued`,
    );
    return outcome;
  }

  /**
   * After the write (a cache filled under the old generation then holds the old id at
   * most), the generation moves on; then the storm, whose runs must not trust ids cached
   * before the write.
   */
  private async storm(owner: EntityRef, traceId: string): Promise<number> {
    await this.generation.bump();
    const documents = await this.enqueueDocuments(owner, traceId);
    await this.redis.del(this.stormPendingKey(owner));
    return documents;
  }

  private stormPendingKey(owner: EntityRef): string {
    return `${this.config.queue.prefix}:xai:storm-pending:${owner.entityType}:${owner.entityId}`;
  }

  /** The collection, or undefined when xAI says it does not exist. */
  private async confirm(collectionId: string): Promise<XaiCollection | undefined> {
    try {
      return await this.xai.getCollection(collectionId);
    } catch (err) {
      if (err instanceof UpstreamNotFoundError) return undefined;
      throw err;
    }
  }

  /** A collection this hub made for the entity earlier (its write-back may have failed). */
  private async findOwned(owner: EntityRef): Promise<XaiCollection | undefined> {
    for await (const c of this.xai.listCollections()) {
      const o = collectionOwner(c.collection_description);
      if (o?.entityType === owner.entityType && o.entityId === owner.entityId) return c;
    }
    return undefined;
  }

  /**
   * Keeps the name in step with the entity and declares the document fields; no call
   * when both fit. Answers the collection as it is afterwards.
   */
  private async repair(
    c: XaiCollection,
    owner: EntityRef,
    name: string | null,
  ): Promise<XaiCollection> {
    const update: XaiCollectionUpdate = {};
    const wanted = collectionName(owner.entityType, name, owner.entityId);
    if (c.collection_name !== wanted) update.name = wanted;
    const missing = missingFieldDefinitions(c.field_definitions);
    if (missing.length > 0) {
      update.fieldDefinitionUpdates = missing.map((field_definition) => ({
        field_definition,
        operation: 'FIELD_DEFINITION_ADD' as const,
      }));
    }
    if (update.name === undefined && update.fieldDefinitionUpdates === undefined) return c;
    const updated = await this.xai.updateCollection(c.collection_id, update);
    return { ...c, ...updated, collection_id: c.collection_id };
  }

  /** The intended storm: every linked document checks its memberships against the new collection. */
  private async enqueueDocuments(owner: EntityRef, traceId: string): Promise<number> {
    const ids: string[] = [];
    for await (const d of this.espo.listAllRelated(
      owner.entityType,
      owner.entityId,
      DOCUMENTS_LINK,
      { select: ['id'] },
    )) {
      ids.push(d.id);
    }
    await this.producer.enqueue(
      DocumentTopics.Update,
      ids.map((entityId) => ({ entityId, traceId })),
      { coalesceBy: (e) => e.entityId },
    );
    return ids.length;
  }
}
