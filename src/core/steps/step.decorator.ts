import type { AppConfig } from '../../config/app-config.js';
import type { JobPayload, Topic } from '../queue/topic.js';

export type StepTrigger =
  | { type: 'http'; method: string; path: string }
  | { type: 'queue'; topics: Topic[] }
  | { type: 'cron'; expression: (config: AppConfig) => string };

/**
 * What a step declares with `@Step`. A queue step names no trigger: its topics are
 * the `@Process` decorators on the same method.
 */
export interface StepOptions {
  name: string;
  description: string;
  flows: string[];
  trigger?: StepTrigger;
  enqueues?: Topic[];
  /** Queue steps: parallel jobs per worker process (default: WORKER_CONCURRENCY). */
  concurrency?: (config: AppConfig) => number;
}

export interface StepDefinition extends StepOptions {
  trigger: StepTrigger;
}

/** What the worker hands a `@Process` method besides the payload: the job that took the lock. */
export interface JobInfo {
  id: string | number;
  attemptsMade: number;
  name: string;
}

/**
 * The per-entity lock a queue step runs under (key `{step}:{entityType}:{entityId}`).
 * `entityTypes` says statically which types it guards, for the console: a list, or
 * a config reader when the type comes from the payload (collections of several types).
 */
export interface StepLock<P = JobPayload> {
  step: string;
  entityTypes: readonly string[] | ((config: AppConfig) => readonly string[]);
  key: (payload: P) => { entityType: string; entityId: string };
}

/** One `@Process(topic, options)` on a method. */
export interface ProcessBinding {
  topic: Topic;
  lock: StepLock<never>;
  /** Builds what runs under the lock (and waits as the pending payload) from the job's data. */
  payload?: (data: never, job: JobInfo) => JobPayload;
}

export interface CatalogEntry {
  functionId: string;
  definition: StepDefinition;
  /** The class that declares the step, and the method that runs it. */
  target: object;
  method: string;
  /** Queue steps: the topics the method processes, in the order written. */
  processes: ProcessBinding[];
}

/**
 * Every step the code declares, in the order the classes were loaded. A static
 * catalogue (not DI discovery) so that an `api` instance, which does not run the
 * processors, still lists them and can check that every topic has one.
 */
export const STEP_CATALOG: CatalogEntry[] = [];

export function functionIdOf(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}

export const http = (method: string, path: string): StepTrigger => ({ type: 'http', method, path });
export const cron = (expression: (config: AppConfig) => string): StepTrigger => ({
  type: 'cron',
  expression,
});

/**
 * Method decorators run before the class exists as a whole and in either order
 * (`@Step` above or below `@Process`), so both write into one entry per method.
 */
const entries = new WeakMap<object, Map<string, CatalogEntry>>();

export function entryFor(target: object, method: string): CatalogEntry {
  let byMethod = entries.get(target);
  if (!byMethod) entries.set(target, (byMethod = new Map()));
  let entry = byMethod.get(method);
  if (!entry) {
    entry = {
      functionId: '',
      definition: { name: '', description: '', flows: [], trigger: { type: 'queue', topics: [] } },
      target,
      method,
      processes: [],
    };
    byMethod.set(method, entry);
  }
  return entry;
}

/** The steps a class declares (for the worker and the scheduler, which hold instances). */
export function stepsOf(target: object): CatalogEntry[] {
  return [...(entries.get(target)?.values() ?? [])].filter((e) => e.functionId !== '');
}

/**
 * Declares a method as a step, once, where it is defined: `GET /_console/functions`
 * lists it, the worker runs queue steps (`@Process` on the same method), the
 * scheduler runs cron steps, and a route method names its HTTP trigger.
 */
export function Step(options: StepOptions): MethodDecorator {
  return (prototype, method) => {
    const entry = entryFor(prototype.constructor, String(method));
    const queueTrigger = entry.definition.trigger;
    entry.definition = {
      ...options,
      trigger:
        options.trigger ??
        (queueTrigger.type === 'queue' ? queueTrigger : { type: 'queue', topics: [] }),
    };
    entry.functionId = functionIdOf(options.name);
    if (!STEP_CATALOG.some((e) => e.functionId === entry.functionId)) STEP_CATALOG.push(entry);
  };
}
