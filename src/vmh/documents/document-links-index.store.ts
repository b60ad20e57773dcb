import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { Redis } from 'ioredis';
import { AppConfig } from '../../config/app-config.js';
import { REDIS } from '../../core/redis/redis.module.js';
import {
  LINKS_INDEX_FIELDS,
  encodeOwners,
  readLinksIndex,
  type LearnedOwners,
  type LinksIndexEntry,
} from './document-links-index.js';

/**
 * Stores what a document's owners are only while its epoch is still the one the
 * run read before its list reads: a run that lost the race against a link webhook
 * must not overwrite what a later run learned (it would only cost a miss, but
 * needlessly). Answers 1 when stored.
 */
const LEARNED_FIELDS = ['owners', 'ownersEpoch'];

const LEARN = `
local current = redis.call('HGET', KEYS[1], 'epoch')
if not current then current = '0' end
if current ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'owners', ARGV[2], 'ownersEpoch', ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[3])
return 1
`;

/**
 * The learned links index in Redis: one hash per document,
 * `{QUEUE_PREFIX}:doclinks:{docId}` with `epoch` (bumped by the link/unlink intake),
 * `owners` and `ownersEpoch` (written by the document sync). Why it is safe:
 * document-links-index.ts. A hit costs one HMGET; learning one EVAL; a link event
 * one HSET + EXPIRE per document, all documents of a batch in one pipeline. The TTL
 * is fixed, set when learned or bumped, not refreshed by a hit.
 */
@Injectable()
export class DocumentLinksIndexStore {
  constructor(
    private readonly config: AppConfig,
    @Inject(REDIS) private readonly redis: Redis,
  ) {}

  /** DOCUMENT_LINKS_CACHE_TTL_S=0 turns the index off: every run reads the lists. */
  get enabled(): boolean {
    return this.ttlSeconds > 0;
  }

  /** The document's epoch and what was learned under it. Rejects when Redis does not answer. */
  async read(documentId: string): Promise<LinksIndexEntry> {
    return readLinksIndex(await this.redis.hmget(this.key(documentId), ...LINKS_INDEX_FIELDS));
  }

  /** `epoch` must have been read before the lists that found `owners`; false when it moved since. */
  async learn(documentId: string, epoch: string, owners: LearnedOwners): Promise<boolean> {
    const stored = await this.redis.eval(
      LEARN,
      1,
      this.key(documentId),
      epoch,
      encodeOwners(owners),
      this.ttlSeconds,
    );
    return stored === 1;
  }

  /**
   * The documents' links changed (or may have): nothing learned before is trusted.
   * The new epoch is a value the document never had (not a counter, which would
   * start again at 1 after the hash expired: a run straddling the expiry could then
   * find its old epoch again). One pipeline for the batch; rejects when Redis does
   * not take all of it. With the index off only the learned owners go, so one
   * learned under an earlier setting is not trusted again when it is turned back on.
   */
  async linksChanged(documentIds: readonly string[]): Promise<void> {
    if (documentIds.length === 0) return;
    const epoch = randomUUID();
    const pipeline = this.redis.pipeline();
    for (const id of documentIds) {
      const key = this.key(id);
      if (this.enabled) pipeline.hset(key, 'epoch', epoch).expire(key, this.ttlSeconds);
      else pipeline.hdel(key, ...LEARNED_FIELDS);
    }
    const results = await pipeline.exec();
    const failed = (results ?? []).find(([err]) => err);
    if (!results || failed) throw failed?.[0] ?? new Error('Redis pipeline not executed');
  }

  /**
   * The document is gone: what was learned about it goes. The epoch stays (until the
   * hash expires), so a run that read it before cannot find it again later.
   */
  async drop(documentId: string): Promise<void> {
    await this.redis.hdel(this.key(documentId), ...LEARNED_FIELDS);
  }

  private get ttlSeconds(): number {
    return this.config.xai.documentLinksTtlSeconds;
  }

  private key(documentId: string): string {
    return `${this.config.queue.prefix}:doclinks:${documentId}`;
  }
}
