import { UpstreamError, ValidationError, isNetworkError } from '../errors/upstream.errors.js';

export type ErrorClass = 'transient' | 'permanent';

/**
 * The one classifier every processor uses: retry what can succeed later, fail at
 * once what cannot. Unknown programming errors are permanent, so a bug does not
 * hammer an upstream five times.
 */
export function classifyError(err: unknown): ErrorClass {
  if (err instanceof UpstreamError) return err.transient ? 'transient' : 'permanent';
  if (err instanceof ValidationError) return 'permanent';
  if (isNetworkError(err)) return 'transient';
  if (isRedisUnavailable(err)) return 'transient';
  if ((err as { transient?: unknown })?.transient === true) return 'transient';
  return 'permanent';
}

/**
 * ioredis' errors while the hub's own Redis is away or starting (no error codes,
 * only names and messages): a lock release or a follow-up enqueue that fails for
 * that reason says nothing about the entity, so the job is retried, not failed.
 */
const REDIS_UNAVAILABLE =
  /^(Connection is closed|Stream isn't writeable|Reached the max retries per request limit|(LOADING|BUSY|TRYAGAIN|MASTERDOWN) )/;

export function isRedisUnavailable(err: unknown): boolean {
  const e = err as { name?: unknown; message?: unknown } | undefined;
  if (e?.name === 'MaxRetriesPerRequestError') return true;
  return typeof e?.message === 'string' && REDIS_UNAVAILABLE.test(e.message);
}

export interface BackoffSettings {
  baseMs: number;
  maxMs: number;
}

/**
 * Exponential backoff with full jitter (AWS architecture blog's variant): spreads
 * retries of a failed batch so they do not hit the upstream together. A
 * `Retry-After` from the upstream wins when present.
 */
export function backoffDelay(
  attemptsMade: number,
  err: unknown,
  settings: BackoffSettings,
  random: () => number = Math.random,
): number {
  const retryAfter = (err as UpstreamError | undefined)?.retryAfterMs;
  if (typeof retryAfter === 'number' && retryAfter >= 0) return retryAfter;
  const exp = Math.min(settings.maxMs, settings.baseMs * 2 ** Math.max(0, attemptsMade - 1));
  return Math.round(exp / 2 + random() * (exp / 2));
}
