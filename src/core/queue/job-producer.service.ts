import { getQueueToken } from '@nestjs/bull';
import { Inject, Injectable } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { Queue } from 'bull';
import type { Redis } from 'ioredis';
import { AppConfig } from '../../config/app-config.js';
import { HubMetrics } from '../metrics/hub-metrics.js';
import { REDIS } from '../redis/redis.module.js';
import type { JobPayload, Topic } from './topic.js';

/** Redis (or the queue behind it) cannot take work now; webhooks answer 503. */
export class QueueUnavailableError extends Error {
  constructor(reason: string) {
    super(`queue unavailable: ${reason}`);
    this.name = 'QueueUnavailableError';
  }
}

export interface EnqueueOptions<P> {
  /**
   * Events with the same key collapse into one waiting job: the first creates it,
   * the rest find it waiting and add nothing. The worker frees the key when the job
   * starts, so an event during the run makes a new job (and a trailing run).
   */
  coalesceBy?: (payload: P) => string;
  /** Delay before the job may run; with coalescing this is the debounce window. */
  delayMs?: number;
  /** A fixed job id (Bull ignores a second job with the same id while the first exists). */
  jobId?: (payload: P) => string;
}

export interface EnqueueResult {
  enqueued: number;
  coalesced: number;
}

/**
 * Sets each dedupe key that is free and answers which ones it set: one round trip
 * for a whole webhook batch.
 */
const CLAIM_KEYS = `
local out = {}
for i, key in ipairs(KEYS) do
  if redis.call('set', key, '1', 'NX', 'EX', ARGV[1]) then out[i] = 1 else out[i] = 0 end
end
return out
`;

const ENQUEUE_TIMEOUT_MS = 5000;

/** The only place that puts jobs into Redis. */
@Injectable()
export class JobProducer {
  private readonly queues = new Map<string, Queue>();

  constructor(
    private readonly moduleRef: ModuleRef,
    @Inject(REDIS) private readonly redis: Redis,
    private readonly config: AppConfig,
    private readonly metrics: HubMetrics,
  ) {}

  queueFor(topic: Topic | string): Queue {
    const name = typeof topic === 'string' ? topic : topic.queue;
    let q = this.queues.get(name);
    if (!q) {
      q = this.moduleRef.get<Queue>(getQueueToken(name), { strict: false });
      this.queues.set(name, q);
    }
    return q;
  }

  dedupeKey(topic: Topic, key: string): string {
    return `${this.config.queue.prefix}:dedupe:${topic.name}:${key}`;
  }

  async enqueue<P extends JobPayload>(
    topic: Topic<P>,
    payloads: P[],
    options: EnqueueOptions<P> = {},
  ): Promise<EnqueueResult> {
    if (payloads.length === 0) return { enqueued: 0, coalesced: 0 };
    const queue = this.queueFor(topic);
    this.assertReady(queue);
    return withTimeout(this.doEnqueue(queue, topic, payloads, options), ENQUEUE_TIMEOUT_MS);
  }

  private async doEnqueue<P extends JobPayload>(
    queue: Queue,
    topic: Topic<P>,
    payloads: P[],
    options: EnqueueOptions<P>,
  ): Promise<EnqueueResult> {
    let selected: Array<P & { dedupeKey?: string }> = payloads;
    let claimed: string[] = [];
    if (options.coalesceBy) {
      const byKey = new Map<string, P>();
      for (const p of payloads) byKey.set(this.dedupeKey(topic, options.coalesceBy(p)), p);
      const keys = [...byKey.keys()];
      let flags: number[];
      try {
        flags = (await this.redis.eval(
          CLAIM_KEYS,
          keys.length,
          ...keys,
          this.config.queue.dedupeTtlSeconds,
        )) as number[];
      } catch (err) {
        throw new QueueUnavailableError((err as Error).message);
      }
      claimed = keys.filter((_, i) => flags[i] === 1);
      selected = claimed.map((k) => ({ ...byKey.get(k)!, dedupeKey: k }));
    }
    try {
      if (selected.length > 0) {
        await queue.addBulk(
          selected.map((data) => ({
            name: topic.job,
            data,
            opts: {
              delay: options.delayMs || undefined,
              jobId: options.jobId?.(data),
            },
          })),
        );
      }
    } catch (err) {
      // Free the keys we claimed, or the sender's retry of this batch would be
      // coalesced into jobs that never got stored.
      if (claimed.length > 0) await this.redis.del(...claimed).catch(() => undefined);
      throw new QueueUnavailableError((err as Error).message);
    }
    const coalesced = payloads.length - selected.length;
    this.metrics.webhookEvents.inc({ topic: topic.name, result: 'enqueued' }, selected.length);
    if (coalesced > 0)
      this.metrics.webhookEvents.inc({ topic: topic.name, result: 'coalesced' }, coalesced);
    return { enqueued: selected.length, coalesced };
  }

  private assertReady(queue: Queue): void {
    if (this.redis.status !== 'ready')
      throw new QueueUnavailableError(`redis is ${this.redis.status}`);
    // Bull's command connection skips ioredis' ready check, so 'connect' is as good as ready.
    const status = queue.client.status;
    if (status !== 'ready' && status !== 'connect')
      throw new QueueUnavailableError(`queue redis is ${status}`);
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new QueueUnavailableError(`no answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
