import { Inject, Injectable } from '@nestjs/common';
import { Redis } from 'ioredis';
import { AppConfig } from '../config/app-config.js';
import { REDIS } from '../core/redis/redis.module.js';

/**
 * The collection generation: bumped after every write of an entity's
 * `xaiCollectionId` and before the storm it causes, so the document sync may keep
 * collection ids in memory while it stays the same (vmh/documents/collection-id-cache.ts).
 * The collection manager bumps it; the document sync reads it. The key is this
 * store's alone.
 */
@Injectable()
export class CollectionGenerationStore {
  constructor(
    private readonly config: AppConfig,
    @Inject(REDIS) private readonly redis: Redis,
  ) {}

  /** The current generation; `'0'` before the first bump. Rejects when Redis does not answer. */
  async current(): Promise<string> {
    return (await this.redis.get(this.key())) ?? '0';
  }

  async bump(): Promise<void> {
    await this.redis.incr(this.key());
  }

  private key(): string {
    return `${this.config.queue.prefix}:xai:collections:generation`;
  }
}
