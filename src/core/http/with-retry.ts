import { classifyError, backoffDelay } from '../queue/retry-policy.js';

export interface RetryOptions {
  /** Total attempts including the first. */
  attempts: number;
  baseMs: number;
  maxMs: number;
  /** Called before each wait, for a log line or a metric. */
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
}

/**
 * A few quick in-call retries for transient upstream errors (a 503 blip, a 429
 * with `Retry-After`). What still fails goes to the queue's retry policy, which
 * waits longer; permanent errors are never retried here.
 */
export async function withRetry<T>(fn: () => Promise<T>, options: RetryOptions): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (attempt >= options.attempts || classifyError(err) !== 'transient') throw err;
      const delay = backoffDelay(attempt, err, { baseMs: options.baseMs, maxMs: options.maxMs });
      options.onRetry?.(err, attempt, delay);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
