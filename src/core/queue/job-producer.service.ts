import { getQueueToken } from '@nestjs/bull';
import { Inject, Injectable } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { Queue } from 'bull';
import type { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { AppConfig } from '../../config/app-config.js';
import { HubMetrics } from '../metrics/hub-metrics.js';
import { REDIS } from '../redis/redis.module.js';
import {
  CLAIM_AND_ADD_DELAYED,
  CLAIM_KEYS,
  claimAndAddDelayedArgs,
  type DelayedJob,
} from './enqueue.scripts.js';
import type { JobPayload, Topic } from './topic.js';

/** Redis (or the queue behind it) cannot take work now; webhooks answer 503. */
export class QueueUnavailableError extends Error {
  /** A job whose follow-up enqueue met an outage is retried (retry-policy honours the flag). */
  readonly transient = true;

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

type ScriptCommand = (numKeys: number, ...args: Array<string | number>) => Promise<number[]>;
type HubScripts = { hubClaimKeys: ScriptCommand; hubClaimAndAddDelayed: ScriptCommand };

const ENQUEUE_TIMEOUT_MS = 5000;
/** How long a claim stands before its job exists: as long as an enqueue may take. */
const CLAIM_GRACE_MS = ENQUEUE_TIMEOUT_MS;

/**
 * A claim this process made is answered from memory for half its debounce: its job
 * cannot start before the debounce has passed (its delay is dated from the add, no
 * earlier than the claim), so a repeated event in that time is coalesced without a
 * Redis round trip. Half, so that a worker clock ahead of ours by less than that
 * cannot start the job while we still answer "coalesced" for it.
 */
const MIN_MEMORY_DEBOUNCE_MS = 100;
const SWEEP_EVERY_MS = 1000;

/** The only place that puts jobs into Redis. */
@Injectable()
export class JobProducer {
  private readonly queues = new Map<string, Queue>();
  /** Dedupe key → until when (this clock) its claim by this process is known to stand. */
  private readonly standing = new Map<string, number>();
  private nextSweep = 0;

  constructor(
    private readonly moduleRef: ModuleRef,
    @Inject(REDIS) private readonly redis: Redis,
    private readonly config: AppConfig,
    private readonly metrics: HubMetrics,
  ) {
    // EVALSHA with ioredis' fallback: the script's text is not sent with every batch.
    redis.defineCommand('hubClaimKeys', { lua: CLAIM_KEYS });
    redis.defineCommand('hubClaimAndAddDelayed', { lua: CLAIM_AND_ADD_DELAYED });
  }

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
    const startedAt = Date.now();
    const delayMs = options.delayMs ?? 0;
    if (!options.coalesceBy) {
      const jobs = payloads.map((data) => ({ data, jobId: options.jobId?.(data) }));
      await this.add(queue, topic, jobs, delayMs, []);
      return this.counted(topic, payloads.length, jobs.length);
    }
    this.sweep(startedAt);
    const byKey = new Map<string, P>();
    for (const p of payloads) {
      const key = this.dedupeKey(topic, options.coalesceBy(p));
      if ((this.standing.get(key) ?? 0) <= startedAt) byKey.set(key, p);
    }
    const keys = [...byKey.keys()];
    const jobs = keys.map((k) => ({
      dedupeKey: k,
      jobId: options.jobId?.(byKey.get(k)!) ?? randomUUID(),
      data: { ...byKey.get(k)!, dedupeKey: k },
    }));
    if (keys.length === 0) return this.counted(topic, payloads.length, 0);
    const flags =
      delayMs > 0
        ? await this.claimAndAddDelayed(queue, topic, jobs, startedAt, delayMs)
        : await this.claimKeys(
            keys,
            jobs.map((j) => j.jobId),
            queue.toKey(''),
          );
    const claimed = keys.filter((_, i) => flags[i] === 1);
    // Without a debounce the claim script only claims; Bull adds the jobs.
    if (delayMs <= 0)
      await this.add(
        queue,
        topic,
        jobs.filter((_, i) => flags[i] === 1),
        delayMs,
        claimed,
      );
    if (delayMs >= MIN_MEMORY_DEBOUNCE_MS)
      for (const key of claimed) this.standing.set(key, startedAt + delayMs / 2);
    return this.counted(topic, payloads.length, claimed.length);
  }

  private counted(topic: Topic, events: number, enqueued: number): EnqueueResult {
    const coalesced = events - enqueued;
    this.metrics.webhookEvents.inc({ topic: topic.name, result: 'enqueued' }, enqueued);
    if (coalesced > 0)
      this.metrics.webhookEvents.inc({ topic: topic.name, result: 'coalesced' }, coalesced);
    return { enqueued, coalesced };
  }

  /** Bull's own add, for jobs without a debounce and for enqueues that do not coalesce. */
  private async add<P extends JobPayload>(
    queue: Queue,
    topic: Topic<P>,
    jobs: Array<{ data: P; jobId?: string }>,
    delayMs: number,
    claimed: string[],
  ): Promise<void> {
    try {
      const delay = delayMs || undefined;
      // One job is one script call; addBulk wraps even one in MULTI/EXEC.
      if (jobs.length === 1) {
        await queue.add(topic.job, jobs[0].data, { delay, jobId: jobs[0].jobId });
      } else if (jobs.length > 1) {
        await queue.addBulk(
          jobs.map(({ data, jobId }) => ({ name: topic.job, data, opts: { delay, jobId } })),
        );
      }
    } catch (err) {
      // Free the keys we claimed, or the sender's retry of this batch would be
      // coalesced into jobs that never got stored.
      if (claimed.length > 0) await this.redis.del(...claimed).catch(() => undefined);
      throw new QueueUnavailableError((err as Error).message);
    }
  }

  /** Claims and stores delayed jobs in one script (enqueue.scripts.ts); all or nothing. */
  private async claimAndAddDelayed(
    queue: Queue,
    topic: Topic,
    jobs: DelayedJob[],
    timestamp: number,
    delayMs: number,
  ): Promise<number[]> {
    const { numKeys, args } = claimAndAddDelayedArgs({
      delayedKey: queue.toKey('delayed'),
      idKey: queue.toKey('id'),
      jobKeyPrefix: queue.toKey(''),
      ttlSeconds: this.config.queue.dedupeTtlSeconds,
      graceMs: CLAIM_GRACE_MS,
      name: topic.job,
      timestamp,
      delayMs,
      defaults: (queue as Queue & { defaultJobOptions?: object }).defaultJobOptions ?? {},
      jobs,
    });
    try {
      return await (this.redis as Redis & HubScripts).hubClaimAndAddDelayed(numKeys, ...args);
    } catch (err) {
      throw new QueueUnavailableError((err as Error).message);
    }
  }

  private async claimKeys(
    keys: string[],
    jobIds: string[],
    jobKeyPrefix: string,
  ): Promise<number[]> {
    try {
      return await (this.redis as Redis & HubScripts).hubClaimKeys(
        keys.length,
        ...keys,
        this.config.queue.dedupeTtlSeconds,
        CLAIM_GRACE_MS,
        jobKeyPrefix,
        ...jobIds,
      );
    } catch (err) {
      throw new QueueUnavailableError((err as Error).message);
    }
  }

  private sweep(now: number): void {
    if (now < this.nextSweep) return;
    this.nextSweep = now + SWEEP_EVERY_MS;
    for (const [key, until] of this.standing) if (until <= now) this.standing.delete(key);
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
