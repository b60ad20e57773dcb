import { getQueueToken } from '@nestjs/bull';
import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { Job, Queue } from 'bull';
import type { Redis } from 'ioredis';
import { AppConfig } from '../config/app-config.js';
import { REGISTERED_QUEUES } from '../core/queue/queue-names.js';
import { REDIS } from '../core/redis/redis.module.js';

export interface LastError {
  reason: string;
  at: number;
  traceId?: string;
  jobId: string;
}

const MINUTE = 60_000;
const WINDOW_MINUTES = 60;
/** Counts are written at most this often: one pipeline a second instead of one per job. */
const FLUSH_MS = 1000;

/**
 * Completed and failed attempts per queue and job name in one-minute buckets, and the
 * last error of each, for the console page's "last hour" figures. Completed jobs are
 * removed at once (queue.module.ts), so the queues themselves cannot say how many ran;
 * each worker process counts what it ran itself (Bull's local events fire only where
 * the job ran), so several workers never count a job twice. Counts wait in memory
 * for up to FLUSH_MS (a job's own Redis work should not double for the page's sake);
 * a read, and the shutdown, write them first.
 */
@Injectable()
export class StepStatsRecorder implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('StepStats');
  /** Bucket key → field → count not yet written. */
  private pending = new Map<string, Map<string, number>>();
  private flushTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly config: AppConfig,
    private readonly moduleRef: ModuleRef,
    @Inject(REDIS) private readonly redis: Redis,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.runsWorkers) return;
    for (const name of REGISTERED_QUEUES) {
      let queue: Queue;
      try {
        queue = this.moduleRef.get<Queue>(getQueueToken(name), { strict: false });
      } catch {
        continue;
      }
      queue.on('completed', (job: Job) => this.record(name, job, 'completed'));
      queue.on('failed', (job: Job, err: Error) => this.record(name, job, 'failed', err));
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.flush();
  }

  /** Sums of the last hour: `${queue}|${job}|completed|failed` → count. */
  async lastHour(now = Date.now()): Promise<Map<string, number>> {
    await this.flush();
    const minute = Math.floor(now / MINUTE);
    const pipe = this.redis.pipeline();
    for (let i = 0; i < WINDOW_MINUTES; i++) pipe.hgetall(this.bucketKey(minute - i));
    const sums = new Map<string, number>();
    for (const [err, hash] of (await pipe.exec()) ?? []) {
      if (err || !hash) continue;
      for (const [field, n] of Object.entries(hash as Record<string, string>)) {
        sums.set(field, (sums.get(field) ?? 0) + Number(n));
      }
    }
    return sums;
  }

  async lastErrors(): Promise<Map<string, LastError>> {
    const hash = await this.redis.hgetall(this.lastErrorKey());
    const out = new Map<string, LastError>();
    for (const [field, json] of Object.entries(hash)) {
      try {
        out.set(field, JSON.parse(json) as LastError);
      } catch {
        // a field written by another version: skip it rather than fail the page
      }
    }
    return out;
  }

  private record(queue: string, job: Job, outcome: 'completed' | 'failed', err?: Error): void {
    const key = this.bucketKey(Math.floor(Date.now() / MINUTE));
    const fields = this.pending.get(key) ?? new Map<string, number>();
    this.pending.set(key, fields);
    const field = `${queue}|${job.name}|${outcome}`;
    fields.set(field, (fields.get(field) ?? 0) + 1);
    this.flushTimer ??= setTimeout(() => void this.flush(), FLUSH_MS).unref();
    if (err) {
      const pipe = this.redis.pipeline();
      const last: LastError = {
        reason: (err.message || String(err)).slice(0, 500),
        at: Date.now(),
        traceId: (job.data as { traceId?: string } | undefined)?.traceId,
        jobId: String(job.id),
      };
      pipe
        .hset(this.lastErrorKey(), `${queue}|${job.name}`, JSON.stringify(last))
        .expire(this.lastErrorKey(), 7 * 86_400);
      pipe.exec().catch((e: Error) => this.logger.debug(`last error not recorded: ${e.message}`));
    }
  }

  /** Writes the waiting counts; figures for the page only, so a Redis hiccup drops them quietly. */
  private async flush(): Promise<void> {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    if (this.pending.size === 0) return;
    const pending = this.pending;
    this.pending = new Map();
    const pipe = this.redis.pipeline();
    for (const [key, fields] of pending) {
      for (const [field, n] of fields) pipe.hincrby(key, field, n);
      pipe.expire(key, (WINDOW_MINUTES + 5) * 60);
    }
    await pipe.exec().catch((e: Error) => this.logger.debug(`stats not recorded: ${e.message}`));
  }

  private bucketKey(minute: number): string {
    return `${this.config.queue.prefix}:console:stats:${minute}`;
  }

  private lastErrorKey(): string {
    return `${this.config.queue.prefix}:console:last-error`;
  }
}
