import { AsyncLocalStorage } from 'node:async_hooks';
import type { ShadowRecorder } from './shadow-recorder.service.js';

/**
 * The job a write belongs to. The worker opens a scope around every job when
 * SYNC_MODE=shadow; writes made outside a job (the Advoware proxy, which people use
 * directly) have no scope and go through untouched.
 */
export interface ShadowScope {
  recorder: ShadowRecorder;
  traceId: string;
  /** The step's name, e.g. `VMH Document Sync`. */
  step: string;
  /** `entityType/entityId` of the job's event, or the queue and id when it names no type. */
  entity: string;
}

const storage = new AsyncLocalStorage<ShadowScope>();

export function currentShadowScope(): ShadowScope | undefined {
  return storage.getStore();
}

export function runShadowed<T>(scope: ShadowScope, fn: () => T): T {
  return storage.run(scope, fn);
}
