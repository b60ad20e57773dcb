import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import type { Redis } from 'ioredis';
import { REDIS } from '../core/redis/redis.module.js';

@Injectable()
export class RedisHealthIndicator {
  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    private readonly indicator: HealthIndicatorService,
  ) {}

  async check(key = 'redis') {
    const h = this.indicator.check(key);
    if (this.redis.status !== 'ready') return h.down({ connection: this.redis.status });
    try {
      const started = performance.now();
      await Promise.race([
        this.redis.ping(),
        new Promise((_, reject) =>
          setTimeout(() => reject(new Error('ping timeout')), 1000).unref(),
        ),
      ]);
      return h.up({ latencyMs: Math.round(performance.now() - started) });
    } catch (err) {
      return h.down({ error: (err as Error).message });
    }
  }
}
