import { Injectable } from '@nestjs/common';
import type { EntityEvent, JobPayload, Topic } from './topic.js';
import {
  entryFor,
  type JobInfo,
  type ProcessBinding,
  type StepLock,
} from '../steps/step.decorator.js';

/**
 * The surface of `@nestjs/bull` (`@Processor(queue)`, `@Process(job)`) without its
 * binding: @nestjs/bull calls `queue.process(name, concurrency, …)` once per method,
 * and Bull adds those concurrencies up, so WORKER_CONCURRENCY would stop bounding the
 * queue. `StepWorker` reads these decorators and binds one `process('*')` per queue.
 */
const PROCESSOR_QUEUE = new WeakMap<object, string>();
const FINAL_FAILURE = new WeakMap<object, { method: string; jobs?: Set<string> }>();

/** A class whose `@Process` methods take the jobs of one Bull queue; also `@Injectable()`. */
export function Processor(queueName: string): ClassDecorator {
  return (target) => {
    PROCESSOR_QUEUE.set(target, queueName);
    Injectable()(target);
  };
}

export function processorQueueOf(target: object): string | undefined {
  return PROCESSOR_QUEUE.get(target);
}

export interface ProcessOptions<E extends JobPayload, P extends JobPayload> {
  /** The worker runs the method under this lock: a busy entity defers to its holder's trailing run. */
  lock: StepLock<P>;
  /**
   * What runs under the lock, built from the job's data before locking. Whatever must
   * survive into a trailing run (which may come from another topic) belongs here.
   */
  payload?: (data: E, job: JobInfo) => P;
}

/**
 * Binds a method to a topic; the worker calls it as `method(payload, job)` inside
 * the lock, the job being the one that holds it (a trailing run gets the newest
 * pending payload with the holder's job). Stack several for one step of several topics.
 */
export function Process<E extends JobPayload, P extends JobPayload = E>(
  topic: Topic<E>,
  options: ProcessOptions<E, P>,
): MethodDecorator {
  return (prototype, method) => {
    const entry = entryFor(prototype.constructor, String(method));
    // Decorators apply bottom-up; unshift keeps the topics in the order written.
    entry.processes.unshift({
      topic,
      lock: options.lock as StepLock<never>,
      payload: options.payload as ProcessBinding['payload'],
    });
    if (entry.definition.trigger.type === 'queue') entry.definition.trigger.topics.unshift(topic);
  };
}

/**
 * Marks the method the worker calls as `method(data, error, job)` when a job of this
 * class fails for good (permanent error or attempts exhausted), so the step can
 * record the failure on the EspoCRM record. With topics, only for jobs of those.
 */
export function OnFinalFailure(...topics: Topic[]): MethodDecorator {
  return (prototype, method) => {
    FINAL_FAILURE.set(prototype.constructor, {
      method: String(method),
      jobs: topics.length > 0 ? new Set(topics.map((t) => `${t.queue}/${t.job}`)) : undefined,
    });
  };
}

/** The method to call when a job of `topic` on this class fails for good, if any. */
export function finalFailureHandlerOf(target: object, topic: Topic): string | undefined {
  const hook = FINAL_FAILURE.get(target);
  if (!hook || (hook.jobs && !hook.jobs.has(`${topic.queue}/${topic.job}`))) return undefined;
  return hook.method;
}

/** The usual lock: one fixed entity type, the id from `entityId`. */
export function entityLock<P extends EntityEvent>(step: string, entityType: string): StepLock<P> {
  return { step, entityTypes: [entityType], key: (p) => ({ entityType, entityId: p.entityId }) };
}
