import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';

export interface TraceContext {
  traceId: string;
}

const storage = new AsyncLocalStorage<TraceContext>();

/** The trace id of the flow this code runs in, if any. */
export function currentTraceId(): string | undefined {
  return storage.getStore()?.traceId;
}

export function runWithTrace<T>(traceId: string, fn: () => T): T {
  return storage.run({ traceId }, fn);
}

const TRACE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Takes a caller's `X-Request-Id` when it is sane, else makes a new id. */
export function traceIdFrom(header: unknown): string {
  return typeof header === 'string' && TRACE_ID.test(header) ? header : randomUUID();
}
