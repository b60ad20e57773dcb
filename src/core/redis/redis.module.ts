import { Global, Inject, Injectable, Module, type OnApplicationShutdown } from '@nestjs/common';
import { Redis, type RedisOptions } from 'ioredis';
import { AppConfig } from '../../config/app-config.js';

export const REDIS = Symbol('REDIS');
export const REDIS_CACHE = Symbol('REDIS_CACHE');

/** Scripts the hub defines on REDIS with `defineCommand` (JobProducer, EntityLock). */
export const HUB_SCRIPT_COMMANDS = [
  'hubClaimKeys',
  'hubClaimAndAddDelayed',
  'hubReleaseOrTakePending',
] as const;

export function redisOptions(config: AppConfig, db: number): RedisOptions {
  return {
    host: config.redis.host,
    port: config.redis.port,
    password: config.redis.password,
    db,
    // Fail fast instead of queueing while disconnected: a webhook must get its 503
    // now, not hang until Redis returns.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    retryStrategy: (times) => Math.min(times * 200, 2000),
    lazyConnect: false,
    // Commands issued in the same tick (a run's generation and links-index reads,
    // concurrent jobs) share one socket write; a write costs more CPU than the command.
    // The hub's own scripts are sent alone: ioredis' auto-pipeline mishandles
    // defineCommand scripts on a connection that has not loaded them yet.
    enableAutoPipelining: true,
    autoPipeliningIgnoredCommands: [...HUB_SCRIPT_COMMANDS],
  };
}

/** Closes the hub's own Redis connections last, after queues and locks are done. */
@Injectable()
class RedisCloser implements OnApplicationShutdown {
  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(REDIS_CACHE) private readonly cache: Redis,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    await Promise.allSettled([this.redis.quit(), this.cache.quit()]);
    this.redis.disconnect();
    this.cache.disconnect();
  }
}

/**
 * Two connections: REDIS (locks, webhook dedupe, sync tokens; the queue DB) and
 * REDIS_CACHE (the Advoware token, in its own DB as the firm's old setup had it).
 */
@Global()
@Module({
  providers: [
    {
      provide: REDIS,
      inject: [AppConfig],
      useFactory: (config: AppConfig) =>
        withQuietErrors(new Redis(redisOptions(config, config.redis.db))),
    },
    {
      provide: REDIS_CACHE,
      inject: [AppConfig],
      useFactory: (config: AppConfig) =>
        withQuietErrors(new Redis(redisOptions(config, config.redis.cacheDb))),
    },
    RedisCloser,
  ],
  exports: [REDIS, REDIS_CACHE],
})
export class RedisModule {}

/** ioredis emits 'error' on every failed reconnect; readiness reports it, so do not crash or spam. */
function withQuietErrors(client: Redis): Redis {
  client.on('error', () => undefined);
  return client;
}
