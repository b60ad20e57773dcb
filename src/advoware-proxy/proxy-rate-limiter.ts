import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { AppConfig } from '../config/app-config.js';
import { REDIS } from '../core/redis/redis.module.js';

export interface RateDecision {
  allowed: boolean;
  /** Seconds until the key's window ends (for `Retry-After`). */
  retryAfterSeconds: number;
}

const WINDOW_MS = 60_000;
const TAKE = `
local n = redis.call('INCR', KEYS[1])
if n == 1 or redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return {n, redis.call('PTTL', KEYS[1])}`;

/**
 * `PROXY_RATE_LIMIT_PER_MINUTE` per API key, as a one-minute window counted in
 * Redis so that all instances share it. Without Redis each instance counts on
 * its own: the proxy keeps working, the limit becomes per instance.
 */
@Injectable()
export class ProxyRateLimiter {
  private readonly logger = new Logger(ProxyRateLimiter.name);
  private readonly local = new Map<string, { count: number; resetAt: number }>();
  private redisDown = false;

  constructor(
    private readonly config: AppConfig,
    @Inject(REDIS) private readonly redis: Redis,
  ) {}

  async take(keyId: string): Promise<RateDecision> {
    const limit = this.config.proxy.rateLimitPerMinute;
    const shared = await this.takeShared(keyId);
    const [count, ttlMs] = shared ?? this.takeLocal(keyId);
    return { allowed: count <= limit, retryAfterSeconds: Math.max(1, Math.ceil(ttlMs / 1000)) };
  }

  private async takeShared(keyId: string): Promise<[number, number] | undefined> {
    let timer: NodeJS.Timeout | undefined;
    try {
      const result = (await Promise.race([
        this.redis.eval(TAKE, 1, `${this.config.queue.prefix}:proxy:rate:${keyId}`, WINDOW_MS),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error('Redis did not answer within 500 ms')), 500);
        }),
      ])) as [number, number];
      if (this.redisDown) {
        this.redisDown = false;
        this.logger.log('Redis reachable again; proxy rate limit shared across instances');
      }
      return [Number(result[0]), Number(result[1])];
    } catch (err) {
      if (!this.redisDown) {
        this.redisDown = true;
        this.logger.warn(
          `Redis unavailable for the proxy rate limit (${(err as Error).message}); counting per instance`,
        );
      }
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }

  private takeLocal(keyId: string): [number, number] {
    const now = Date.now();
    let w = this.local.get(keyId);
    if (!w || w.resetAt <= now) {
      w = { count: 0, resetAt: now + WINDOW_MS };
      this.local.set(keyId, w);
    }
    w.count += 1;
    return [w.count, w.resetAt - now];
  }
}
