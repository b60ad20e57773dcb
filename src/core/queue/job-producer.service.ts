import { getQueueToken } from '@nestjs/bull';
import { Inject, Injectable } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { Queue } from 'bull';
import type { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { AppConfig } from '../../config/app-config.js';
import { HubMetrics } from '../metrics/hub-metrics.js';
import { REDIS } from '../redis/redis.module.js';
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

/**
 * Claims each free dedupe key and answers which ones it claimed: one round trip for a
 * whole webhook batch. A claim holds its time and the id of the job it announces
 * (`<ms>|<jobId>`). A claim younger than CLAIM_GRACE_MS stands without further checks:
 * its job is being added or waits out its debounce (the worker frees the key when the
 * job starts, so a standing key never outlives a started job). An older claim stands
 * while its job exists and has not finished; a claim without a job is stale — Redis
 * failed between the claim and the add, and the cleanup failed with it — and must not
 * swallow the sender's retry of a batch that was answered 503.
 * KEYS: dedupe keys; ARGV: TTL s, grace ms, the queue's job key prefix, a job id per key.
 */
const CLAIM_KEYS = `
local t = redis.call('time')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local grace = tonumber(ARGV[2])
local out = {}
for i, key in ipairs(KEYS) do
  local holder = redis.call('get', key)
  local taken = false
  if holder then
    local sep = string.find(holder, '|', 1, true)
    if not sep then
      taken = true
    elseif now - tonumber(string.sub(holder, 1, sep - 1)) < grace then
      taken = true
    else
      local job = ARGV[3] .. string.sub(holder, sep + 1)
      taken = redis.call('hexists', job, 'finishedOn') == 0 and redis.call('exists', job) == 1
    end
  end
  if taken then
    out[i] = 0
  else
    redis.call('set', key, now .. '|' .. ARGV[3 + i], 'EX', ARGV[1])
    out[i] = 1
  end
end
return out
`;

type ClaimKeysCommand = (numKeys: number, ...args: Array<string | number>) => Promise<number[]>;

const ENQUEUE_TIMEOUT_MS = 5000;
/** How long a claim stands before its job exists: as long as an enqueue may take. */
const CLAIM_GRACE_MS = ENQUEUE_TIMEOUT_MS;

/**
 * A claim this process made is answered from memory for half its debounce: its job
 * cannot start before the debounce has passed (Bull dates the delay from the add,
 * which follows the claim), so a repeated event in that time is coalesced without a
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
    let selected: Array<{ data: P & { dedupeKey?: string }; jobId?: string }> = payloads.map(
      (data) => ({ data, jobId: options.jobId?.(data) }),
    );
    let claimed: string[] = [];
    const startedAt = Date.now();
    const delayMs = options.delayMs ?? 0;
    if (options.coalesceBy) {
      this.sweep(startedAt);
      const byKey = new Map<string, P>();
      for (const p of payloads) {
        const key = this.dedupeKey(topic, options.coalesceBy(p));
        if ((this.standing.get(key) ?? 0) <= startedAt) byKey.set(key, p);
      }
      const keys = [...byKey.keys()];
      const jobIds = keys.map((k) => options.jobId?.(byKey.get(k)!) ?? randomUUID());
      let flags: number[] = [];
      try {
        if (keys.length > 0) flags = await this.claimKeys(keys, jobIds, queue.toKey(''));
      } catch (err) {
        throw new QueueUnavailableError((err as Error).message);
      }
      claimed = keys.filter((_, i) => flags[i] === 1);
      selected = keys.flatMap((k, i) =>
        flags[i] === 1 ? [{ data: { ...byKey.get(k)!, dedupeKey: k }, jobId: jobIds[i] }] : [],
      );
    }
    try {
      const delay = delayMs || undefined;
      // One job is one script call; addBulk wraps even one in MULTI/EXEC.
      if (selected.length === 1) {
        await queue.add(topic.job, selected[0].data, { delay, jobId: selected[0].jobId });
      } else if (selected.length > 1) {
        await queue.addBulk(
          selected.map(({ data, jobId }) => ({ name: topic.job, data, opts: { delay, jobId } })),
        );
      }
    } catch (err) {
      // Free the keys we claimed, or the sender's retry of this batch would be
      // coalesced into jobs that never got stored.
      if (claimed.length > 0) await this.redis.del(...claimed).catch(() => undefined);
      throw new QueueUnavailableError((err as Error).message);
    }
    if (delayMs >= MIN_MEMORY_DEBOUNCE_MS)
      for (const key of claimed) this.standing.set(key, startedAt + delayMs / 2);
    const coalesced = payloads.length - selected.length;
    this.metrics.webhookEvents.inc({ topic: topic.name, result: 'enqueued' }, selected.length);
    if (coalesced > 0)
      this.metrics.webhookEvents.inc({ topic: topic.name, result: 'coalesced' }, coalesced);
    return { enqueued: selected.length, coalesced };
  }

  private claimKeys(keys: string[], jobIds: string[], jobKeyPrefix: string): Promise<number[]> {
    return (this.redis as Redis & { hubClaimKeys: ClaimKeysCommand }).hubClaimKeys(
      keys.length,
      ...keys,
      this.config.queue.dedupeTtlSeconds,
      CLAIM_GRACE_MS,
      jobKeyPrefix,
      ...jobIds,
    );
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
