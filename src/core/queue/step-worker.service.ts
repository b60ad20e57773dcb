import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import type { Job, Queue } from 'bull';
import { AppConfig } from '../../config/app-config.js';
import { EntityLock, type LockOutcome } from '../lock/entity-lock.service.js';
import { HubMetrics } from '../metrics/hub-metrics.js';
import {
  STEP_CATALOG,
  stepsOf,
  type CatalogEntry,
  type JobInfo,
  type ProcessBinding,
  type StepLock,
} from '../steps/step.decorator.js';
import { runShadowed } from '../shadow/shadow-context.js';
import { ShadowRecorder } from '../shadow/shadow-recorder.service.js';
import { isShadowStop } from '../shadow/shadow-stop.error.js';
import { runWithTrace } from '../trace/trace-context.js';
import { JobProducer } from './job-producer.service.js';
import { processingStopped } from './processing-stopped.js';
import { finalFailureHandlerOf, processorQueueOf } from './processor.decorator.js';
import { classifyError } from './retry-policy.js';
import type { EntityEvent, JobPayload } from './topic.js';

type Method = (...args: unknown[]) => Promise<unknown>;

/** One `@Process` binding with the instance that runs it. */
interface Handler {
  entry: CatalogEntry;
  binding: ProcessBinding;
  run: (payload: JobPayload, job: JobInfo) => Promise<unknown>;
  onFinalFailure?: (data: JobPayload, error: unknown, job: JobInfo) => Promise<unknown>;
}

/**
 * Binds every `@Process` method to its topic (worker role only) and wraps each job
 * the same way: trace context, freeing the coalescing key, the step's entity lock
 * (a busy entity defers to the holder's trailing run, and a delayed pending check
 * covers a holder that dies), metrics, and the one retry policy — permanent errors
 * are discarded at once, transient ones retried.
 */
@Injectable()
export class StepWorker implements OnApplicationBootstrap {
  private readonly logger = new Logger('StepWorker');
  private readonly processing = new Set<Queue>();

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly producer: JobProducer,
    private readonly config: AppConfig,
    private readonly metrics: HubMetrics,
    private readonly shadow: ShadowRecorder,
    private readonly lock: EntityLock,
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
    const byQueue = new Map<string, { concurrency: number; handlers: Map<string, Handler> }>();
    const bound = new Set<CatalogEntry>();
    for (const { entry, instance, queueName } of this.processMethods()) {
      bound.add(entry);
      const concurrency =
        entry.definition.concurrency?.(this.config) ?? this.config.queue.concurrency;
      const method = instance[entry.method] as Method;
      for (const binding of entry.processes) {
        if (binding.topic.queue !== queueName) {
          throw new Error(
            `step "${entry.definition.name}" processes ${binding.topic.name} (queue ${binding.topic.queue}) in @Processor('${queueName}')`,
          );
        }
        const hook = finalFailureHandlerOf(entry.target, binding.topic);
        const group = byQueue.get(queueName) ?? {
          concurrency: 0,
          handlers: new Map<string, Handler>(),
        };
        group.concurrency = Math.max(group.concurrency, concurrency);
        group.handlers.set(binding.topic.job, {
          entry,
          binding,
          run: (payload, job) => method.call(instance, payload, job),
          onFinalFailure: hook
            ? (data, error, job) => (instance[hook] as Method).call(instance, data, error, job)
            : undefined,
        });
        byQueue.set(queueName, group);
      }
    }
    for (const entry of STEP_CATALOG) {
      if (entry.definition.trigger.type === 'queue' && !bound.has(entry)) {
        throw new Error(
          `queue step "${entry.definition.name}" is declared but not provided by any module`,
        );
      }
    }
    for (const [name, group] of byQueue) {
      const queue = this.producer.queueFor(name);
      this.processing.add(queue);
      queue
        .process('*', group.concurrency, (job: Job<JobPayload>) => {
          const handler = group.handlers.get(job.name);
          if (!handler) throw new Error(`no step processes job "${job.name}" on queue ${name}`);
          return this.run(handler, job);
        })
        .catch(processingStopped(this.logger, name));
    }
  }

  /** The `@Process` steps of every provided `@Processor` class. */
  private *processMethods(): Generator<{
    entry: CatalogEntry;
    instance: Record<string, unknown>;
    queueName: string;
  }> {
    for (const wrapper of this.discovery.getProviders()) {
      const metatype = wrapper.metatype as object | undefined;
      if (!metatype || !wrapper.instance) continue;
      const queueName = processorQueueOf(metatype);
      const steps = stepsOf(metatype).filter((e) => e.processes.length > 0);
      if (steps.length === 0) continue;
      if (!queueName) {
        throw new Error(
          `${(metatype as { name: string }).name} has @Process methods but no @Processor`,
        );
      }
      const instance = wrapper.instance as Record<string, unknown>;
      for (const entry of steps) yield { entry, instance, queueName };
    }
  }

  /**
   * After a deferral, one delayed check per entity: if the holder died without its
   * trailing run, the check finds the pending event once the lock has expired.
   */
  private async schedulePendingCheck(
    handler: Handler,
    job: Job<JobPayload>,
    lockKey: string,
  ): Promise<void> {
    const { dedupeKey: _ignored, ...data } = job.data as JobPayload & { dedupeKey?: string };
    await this.producer.enqueue(handler.binding.topic, [{ ...data, pendingCheck: true }], {
      coalesceBy: () => `pending-check:${lockKey}`,
      delayMs: this.config.lock.ttlMs + 1000,
    });
  }

  /** The step's method under its lock: busy → deferred, the holder runs once more. */
  private runLocked(handler: Handler, job: Job<JobPayload>, info: JobInfo): Promise<LockOutcome> {
    const { binding } = handler;
    const payload = binding.payload ? binding.payload(job.data as never, info) : job.data;
    const lock = binding.lock as StepLock<JobPayload>;
    // The coalescing key is freed as the job starts, in the lock's round trip: an event
    // from now on makes a new job (and a trailing run) instead of joining this one.
    const dedupeKey = (job.data as Partial<EntityEvent>).dedupeKey;
    return this.lock.runExclusive(
      { step: lock.step, ...lock.key(payload) },
      payload,
      (p) => handler.run(p, info),
      dedupeKey ? [dedupeKey] : [],
    );
  }

  private async run(handler: Handler, job: Job<JobPayload>): Promise<unknown> {
    const traceId = job.data.traceId ?? `job-${job.id}`;
    return runWithTrace(traceId, () =>
      this.shadow.enabled
        ? runShadowed(
            {
              recorder: this.shadow,
              traceId,
              step: handler.entry.definition.name,
              entity: entityOf(job),
            },
            () => this.runJob(handler, job),
          )
        : this.runJob(handler, job),
    );
  }

  private async runJob(handler: Handler, job: Job<JobPayload>): Promise<unknown> {
    const name = handler.entry.definition.name;
    const labels = { queue: job.queue.name, job: job.name };
    const end = this.metrics.jobDuration.startTimer(labels);
    const info: JobInfo = { id: job.id, attemptsMade: job.attemptsMade, name: job.name };
    try {
      const outcome = await this.runLocked(handler, job, info);
      if (outcome.status === 'deferred') await this.schedulePendingCheck(handler, job, outcome.key);
      this.metrics.jobs.inc({
        ...labels,
        outcome: outcome.status === 'deferred' ? 'deferred' : 'completed',
      });
      return outcome;
    } catch (err) {
      if (isShadowStop(err)) {
        // Shadow mode: the run did what a live run does up to a create whose id it
        // would need next; the record says so. Done, not failed, never retried.
        this.metrics.jobs.inc({ ...labels, outcome: 'shadow_stopped' });
        this.logger.log(`${name} job ${job.id}: ${err.message}`);
        return { status: 'shadow_stopped', reason: err.message };
      }
      const klass = classifyError(err);
      const attempts = job.opts.attempts ?? 1;
      const final = klass === 'permanent' || job.attemptsMade + 1 >= attempts;
      if (klass === 'permanent') await job.discard();
      this.metrics.jobs.inc({ ...labels, outcome: final ? 'failed' : 'retried' });
      const message = (err as Error)?.message ?? String(err);
      this.logger.warn(
        `${name} job ${job.id} failed (${klass}, attempt ${job.attemptsMade + 1}/${attempts}${final ? ', final' : ''}): ${message}`,
      );
      if (final && handler.onFinalFailure) {
        try {
          await handler.onFinalFailure(job.data, err, info);
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
