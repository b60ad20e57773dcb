import { getQueueToken } from '@nestjs/bull';
import { Injectable } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { HealthIndicatorService } from '@nestjs/terminus';
import type { Queue } from 'bull';
import { REGISTERED_QUEUES } from '../core/queue/queue-names.js';

/**
 * Reports the backlog (waiting + delayed) and failed jobs per queue. Informational:
 * a backlog is not a reason to take the instance out of rotation.
 */
@Injectable()
export class QueueBacklogIndicator {
  constructor(
    private readonly moduleRef: ModuleRef,
    private readonly indicator: HealthIndicatorService,
  ) {}

  async check(key = 'queues') {
    const h = this.indicator.check(key);
    try {
      const entries = await Promise.all(
        [...REGISTERED_QUEUES].sort().map(async (name) => {
          const q = this.moduleRef.get<Queue>(getQueueToken(name), { strict: false });
          const c = await Promise.race([
            q.getJobCounts(),
            new Promise<never>((_, reject) =>
              setTimeout(() => reject(new Error('timeout')), 1000).unref(),
            ),
          ]);
          return [
            name,
            { backlog: c.waiting + c.delayed, active: c.active, failed: c.failed },
          ] as const;
        }),
      );
      return h.up(Object.fromEntries(entries));
    } catch (err) {
      // Redis itself is reported by the redis indicator; stay informational here.
      return h.up({ unavailable: (err as Error).message });
    }
  }
}
