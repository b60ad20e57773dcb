import { Inject, Injectable, Logger } from '@nestjs/common';
import { Redis } from 'ioredis';
import { AppConfig } from '../config/app-config.js';
import { UpstreamNotFoundError } from '../core/errors/upstream.errors.js';
import { REDIS } from '../core/redis/redis.module.js';
import { EspoCrmClient } from '../integrations/espocrm/espocrm.client.js';
import type { EspoRecord } from '../integrations/espocrm/espocrm.types.js';
import { XaiClient } from '../integrations/xai/xai.client.js';
import type { XaiCollection } from '../integrations/xai/xai.types.js';
import {
  adoptedDescription,
  collectionOwner,
  documentFields,
  isUntagged,
  missingFieldDefinitions,
  type EntityRef,
} from './collection.mapper.js';

export type AdoptionOutcome = 'known' | 'owned' | 'adopted' | 'foreign' | 'gone';

/** The link from an entity to its documents (DOMAIN.md "Links"); collection-manager.service.ts says the same. */
const DOCUMENTS_LINK = 'dokumente';

/**
 * Adopt, never duplicate (issue 15): a collection the old hub made is reached through
 * its entity's `xaiCollectionId` but carries neither the owner line in its
 * description nor the hub's fields on its memberships, so a later delete (which
 * finds memberships by those) would miss its documents. On the first touch the hub
 * declares its field definitions, tags every membership whose file a document of the
 * entity names in `xaiId`, and only then writes the owner line, which marks the
 * adoption as done (a failure in between is retried on the next touch).
 *
 * Assumed, not documented by xAI: a membership's fields cannot be changed in place
 * (CONTRACTS.md lists no such call), so tagging removes the membership and adds it
 * again with the fields; the file itself is untouched.
 *
 * Collections known to carry the owner line are remembered per process and in a Redis
 * set, so a touch after the first costs nothing upstream.
 */
@Injectable()
export class CollectionAdoption {
  private readonly logger = new Logger(CollectionAdoption.name);
  private readonly known = new Set<string>();

  constructor(
    private readonly espo: EspoCrmClient,
    private readonly xai: XaiClient,
    private readonly config: AppConfig,
    @Inject(REDIS) private readonly redis: Redis,
  ) {}

  private get key(): string {
    return `${this.config.queue.prefix}:xai:owned-collections`;
  }

  /** A collection the hub made or found carrying its owner line. */
  async remember(collectionId: string): Promise<void> {
    this.known.add(collectionId);
    await this.redis.sadd(this.key, collectionId);
  }

  /**
   * Makes sure the collection `owner` points at carries the hub's marks; `collection`
   * when the caller has just read it. A collection naming another owner is left alone.
   */
  async ensureAdopted(
    collectionId: string,
    owner: EntityRef,
    collection?: XaiCollection,
  ): Promise<AdoptionOutcome> {
    if (!collection) {
      if (this.known.has(collectionId)) return 'known';
      if ((await this.redis.sismember(this.key, collectionId)) === 1) {
        this.known.add(collectionId);
        return 'known';
      }
      try {
        collection = await this.xai.getCollection(collectionId);
      } catch (err) {
        if (err instanceof UpstreamNotFoundError) return 'gone';
        throw err;
      }
    }
    const named = collectionOwner(collection.collection_description);
    if (named) {
      if (named.entityType !== owner.entityType || named.entityId !== owner.entityId) {
        this.logger.warn(
          `collection ${collectionId} names ${named.entityType}/${named.entityId} as owner, ` +
            `not ${owner.entityType}/${owner.entityId} whose xaiCollectionId points at it; left as it is`,
        );
        return 'foreign';
      }
      await this.remember(collectionId);
      return 'owned';
    }
    const missing = missingFieldDefinitions(collection.field_definitions);
    if (missing.length > 0) {
      await this.xai.updateCollection(collectionId, {
        fieldDefinitionUpdates: missing.map((field_definition) => ({
          field_definition,
          operation: 'FIELD_DEFINITION_ADD' as const,
        })),
      });
    }
    const { tagged, unknown } = await this.tagMemberships(collectionId, owner);
    await this.xai.updateCollection(collectionId, {
      description: adoptedDescription(collection.collection_description, owner),
    });
    await this.remember(collectionId);
    this.logger.log(
      `collection ${collectionId} of ${owner.entityType}/${owner.entityId} adopted: owner line written, ` +
        `${tagged} memberships tagged` +
        (unknown > 0 ? `, ${unknown} of files no document of the entity names left untagged` : ''),
    );
    return 'adopted';
  }

  /**
   * Tags one membership the hub found already present (an add answered 409) when it
   * lacks the fields: the old hub added it before the collection was adopted.
   */
  async tagMembership(collectionId: string, fileId: string, documentId: string): Promise<void> {
    const m = await this.xai.getDocument(collectionId, fileId);
    if (!isUntagged(m.fields)) return;
    await this.retag(collectionId, fileId, documentId);
  }

  /**
   * Driven by the entity's documents, not only by the collection's list: a membership
   * an interrupted retag removed (or one lost otherwise) is missing from the list but
   * still named by its document (`xaiCollections`), and is added back with the fields.
   */
  private async tagMemberships(
    collectionId: string,
    owner: EntityRef,
  ): Promise<{ tagged: number; unknown: number }> {
    const present = new Map<string, Record<string, string> | undefined>();
    for await (const d of this.xai.listDocuments(collectionId)) {
      const fid = d.file_metadata?.file_id;
      if (fid) present.set(fid, d.fields);
    }
    let tagged = 0;
    const named = new Set<string>();
    for await (const doc of this.espo.listAllRelated<EspoRecord>(
      owner.entityType,
      owner.entityId,
      DOCUMENTS_LINK,
      { select: ['id', 'xaiId', 'xaiCollections'] },
    )) {
      const fid = typeof doc.xaiId === 'string' && doc.xaiId ? doc.xaiId : undefined;
      if (!fid) continue;
      named.add(fid);
      if (present.has(fid)) {
        if (!isUntagged(present.get(fid))) continue;
        await this.retag(collectionId, fid, doc.id);
        tagged += 1;
      } else if (
        Array.isArray(doc.xaiCollections) &&
        (doc.xaiCollections as unknown[]).includes(collectionId)
      ) {
        await this.xai.addDocument(collectionId, fid, documentFields(doc.id));
        tagged += 1;
      }
    }
    const unknown = [...present.entries()].filter(
      ([fid, fields]) => isUntagged(fields) && !named.has(fid),
    ).length;
    return { tagged, unknown };
  }

  private async retag(collectionId: string, fileId: string, documentId: string): Promise<void> {
    await this.xai.removeDocument(collectionId, fileId);
    await this.xai.addDocument(collectionId, fileId, documentFields(documentId));
  }
}
