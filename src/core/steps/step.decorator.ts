import { SetMetadata } from '@nestjs/common';
import type { AppConfig } from '../../config/app-config.js';
import type { Topic } from '../queue/topic.js';

export type StepTrigger =
  | { type: 'http'; method: string; path: string }
  | { type: 'queue'; topics: Topic[] }
  | { type: 'cron'; expression: (config: AppConfig) => string };

export interface StepDefinition {
  name: string;
  description: string;
  flows: string[];
  trigger: StepTrigger;
  enqueues?: Topic[];
  /** Queue steps: parallel jobs per worker process (default: WORKER_CONCURRENCY). */
  concurrency?: (config: AppConfig) => number;
}

export interface CatalogEntry {
  functionId: string;
  definition: StepDefinition;
  target: object;
}

export const STEP_METADATA = 'hub:step';

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
export const queue = (...topics: Topic[]): StepTrigger => ({ type: 'queue', topics });
export const cron = (expression: (config: AppConfig) => string): StepTrigger => ({
  type: 'cron',
  expression,
});

/**
 * Declares a handler as a step of the old system's vocabulary, once, where it
 * is defined: `GET /_console/functions` lists it, the worker binds queue steps to
 * their topics and the scheduler runs cron steps.
 */
export function Step(definition: StepDefinition): ClassDecorator {
  return (target) => {
    const functionId = functionIdOf(definition.name);
    if (!STEP_CATALOG.some((e) => e.functionId === functionId)) {
      STEP_CATALOG.push({ functionId, definition, target });
    }
    SetMetadata(STEP_METADATA, functionId)(target);
  };
}

/** What a queue step implements; the worker wraps `handle` with trace, dedupe and retry policy. */
export interface QueueStep<P = unknown> {
  handle(
    payload: P,
    job: { id: string | number; attemptsMade: number; name: string },
  ): Promise<unknown>;
  /**
   * Called when an attempt fails; `final` when no retry follows (permanent error or
   * attempts exhausted), so the step can record the failure on the EspoCRM record.
   */
  onFailure?(
    payload: P,
    error: unknown,
    info: { final: boolean; attemptsMade: number },
  ): Promise<void>;
}

/** What a cron step implements: the tick only enqueues or does cheap work. */
export interface CronStep {
  tick(tickTime: Date, traceId: string): Promise<unknown>;
}
