import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import type { Job, Queue } from 'bull';
import type { Redis } from 'ioredis';
import { AppConfig } from '../../config/app-config.js';
import { HubMetrics } from '../metrics/hub-metrics.js';
import { REDIS } from '../redis/redis.module.js';
import {
  STEP_CATALOG,
  STEP_METADATA,
  type CatalogEntry,
  type QueueStep,
} from '../steps/step.decorator.js';
import { runShadowed } from '../shadow/shadow-context.js';
import { ShadowRecorder } from '../shadow/shadow-recorder.service.js';
import { isShadowStop } from '../shadow/shadow-stop.error.js';
import { runWithTrace } from '../trace/trace-context.js';
import { JobProducer } from './job-producer.service.js';
import { classifyError } from './retry-policy.js';
import type { LockOutcome } from '../lock/entity-lock.service.js';
import type { EntityEvent, JobPayload } from './topic.js';

/**
 * Binds every queue step to its topics (worker role only) and wraps each job the
 * same way: trace context, freeing the coalescing key, metrics, and the one retry
 * policy — permanent errors are discarded at once, transient ones retried.
 */
interface Handler {
  entry: CatalogEntry;
  step: QueueStep<JobPayload>;
}

@Injectable()
export class StepWorker implements OnApplicationBootstrap {
  private readonly logger = new Logger('StepWorker');
  private readonly processing = new Set<Queue>();

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly producer: JobProducer,
    private readonly config: AppConfig,
    private readonly metrics: HubMetrics,
    @Inject(REDIS) private readonly redis: Redis,
    private readonly shadow: ShadowRecorder,
  ) {}

  /** Queues this process takes jobs from (the shutdown drains them). */
  get activeQueues(): Queue[] {
    return [...this.processing];
  }

  /**
   * One `process('*')` per queue that dispatches by job name: Bull adds up the
   * concurrency of every `process` call on a queue, so one call per topic would run
   * topics × WORKER_CONCURRENCY jobs at once instead of the configured number.
   */
  onApplicationBootstrap(): void {
    if (!this.config.runsWorkers) return;
    const instances = this.stepInstances();
    const byQueue = new Map<string, { concurrency: number; handlers: Map<string, Handler> }>();
    for (const entry of STEP_CATALOG) {
      const trigger = entry.definition.trigger;
      if (trigger.type !== 'queue') continue;
      const step = instances.get(entry.functionId) as QueueStep<JobPayload> | undefined;
      if (!step) {
        throw new Error(
          `queue step "${entry.definition.name}" is declared but not provided by any module`,
        );
      }
      const concurrency =
        entry.definition.concurrency?.(this.config) ?? this.config.queue.concurrency;
      for (const topic of trigger.topics) {
        const group = byQueue.get(topic.queue) ?? { concurrency: 0, handlers: new Map() };
        group.concurrency = Math.max(group.concurrency, concurrency);
        group.handlers.set(topic.job, { entry, step });
        byQueue.set(topic.queue, group);
      }
    }
    for (const [name, group] of byQueue) {
      const queue = this.producer.queueFor(name);
      this.processing.add(queue);
      void queue.process('*', group.concurrency, (job: Job<JobPayload>) => {
        const handler = group.handlers.get(job.name);
        if (!handler) throw new Error(`no step processes job "${job.name}" on queue ${name}`);
        return this.run(handler.entry, handler.step, job);
      });
    }
  }

  private stepInstances(): Map<string, unknown> {
    const map = new Map<string, unknown>();
    for (const wrapper of this.discovery.getProviders()) {
      const metatype = wrapper.metatype as object | undefined;
      if (!metatype || !wrapper.instance) continue;
      const id = Reflect.getMetadata(STEP_METADATA, metatype) as string | undefined;
      if (id) map.set(id, wrapper.instance);
    }
    return map;
  }

  /**
   * After a deferral, one delayed check per entity: if the holder died without its
   * trailing run, the check finds the pending event once the lock has expired.
   */
  private async schedulePendingCheck(
    entry: CatalogEntry,
    job: Job<JobPayload>,
    lockKey: string,
  ): Promise<void> {
    const trigger = entry.definition.trigger;
    const topic =
      trigger.type === 'queue' ? trigger.topics.find((t) => t.job === job.name) : undefined;
    if (!topic) return;
    const { dedupeKey: _ignored, ...data } = job.data as JobPayload & { dedupeKey?: string };
    await this.producer.enqueue(topic, [{ ...data, pendingCheck: true }], {
      coalesceBy: () => `pending-check:${lockKey}`,
      delayMs: this.config.lock.ttlMs + 1000,
    });
  }

  private async run(
    entry: CatalogEntry,
    step: QueueStep<JobPayload>,
    job: Job<JobPayload>,
  ): Promise<unknown> {
    const traceId = job.data.traceId ?? `job-${job.id}`;
    return runWithTrace(traceId, () =>
      this.shadow.enabled
        ? runShadowed(
            {
              recorder: this.shadow,
              traceId,
              step: entry.definition.name,
              entity: entityOf(job),
            },
            () => this.runJob(entry, step, job),
          )
        : this.runJob(entry, step, job),
    );
  }

  private async runJob(
    entry: CatalogEntry,
    step: QueueStep<JobPayload>,
    job: Job<JobPayload>,
  ): Promise<unknown> {
    const labels = { queue: job.queue.name, job: job.name };
    const end = this.metrics.jobDuration.startTimer(labels);
    const dedupeKey = (job.data as Partial<EntityEvent>).dedupeKey;
    if (dedupeKey) await this.redis.del(dedupeKey);
    try {
      const result = await step.handle(job.data, {
        id: job.id,
        attemptsMade: job.attemptsMade,
        name: job.name,
      });
      const outcome = result as Partial<LockOutcome> | undefined;
      if (outcome?.status === 'deferred' && outcome.key)
        await this.schedulePendingCheck(entry, job, outcome.key);
      this.metrics.jobs.inc({
        ...labels,
        outcome: outcome?.status === 'deferred' ? 'deferred' : 'completed',
      });
      return result;
    } catch (err) {
      if (isShadowStop(err)) {
        // Shadow mode: the run did what a live run does up to a create whose id it
        // would need next; the record says so. Done, not failed, never retried.
        this.metrics.jobs.inc({ ...labels, outcome: 'shadow_stopped' });
        this.logger.log(`${entry.definition.name} job ${job.id}: ${err.message}`);
        return { status: 'shadow_stopped', reason: err.message };
      }
      const klass = classifyError(err);
      const attempts = job.opts.attempts ?? 1;
      const final = klass === 'permanent' || job.attemptsMade + 1 >= attempts;
      if (klass === 'permanent') await job.discard();
      this.metrics.jobs.inc({ ...labels, outcome: final ? 'failed' : 'retried' });
      const message = (err as Error)?.message ?? String(err);
      this.logger.warn(
        `${entry.definition.name} job ${job.id} failed (${klass}, attempt ${job.attemptsMade + 1}/${attempts}${final ? ', final' : ''}): ${message}`,
      );
      if (step.onFailure) {
        try {
          await step.onFailure(job.data, err, { final, attemptsMade: job.attemptsMade + 1 });
        } catch (hookErr) {
          this.logger.error(
            `recording the failure of job ${job.id} failed: ${(hookErr as Error).message}`,
          );
        }
      }
      throw err;
    } finally {
      end();
    }
  }
}

/** What the shadow log names as a job's entity: `entityType/entityId`, else queue and whatever id the payload has. */
function entityOf(job: Job<JobPayload>): string {
  const d = job.data as JobPayload & {
    entityType?: unknown;
    entityId?: unknown;
    kuerzel?: unknown;
  };
  const id = [d.entityId, d.kuerzel].find((v) => typeof v === 'string' && v !== '') as
    string | undefined;
  const type = typeof d.entityType === 'string' && d.entityType ? d.entityType : job.queue.name;
  return id ? `${type}/${id}` : type;
}
