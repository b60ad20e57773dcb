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
  if ((err as { transient?: unknown })?.transient === true) return 'transient';
  return 'permanent';
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
