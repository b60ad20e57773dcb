import { UpstreamError, ValidationError } from '../../core/errors/upstream.errors.js';
import { espoDateTime, parseEspoDateTime } from '../../integrations/espocrm/espocrm-datetime.js';
import type { CBeteiligte } from '../../integrations/espocrm/espocrm.types.js';

/** Wait after the n-th failed sync run (DOMAIN.md, observed). */
export const RETRY_SCHEDULE_MINUTES = [1, 5, 15, 60, 240] as const;
/** The failed run that turns the entity `permanently_failed`. */
export const MAX_SYNC_FAILURES = 5;
export const AUTO_RESET_HOURS = 24;

const MINUTE = 60_000;

export type SyncFailureFields = Pick<
  CBeteiligte,
  'syncStatus' | 'syncRetryCount' | 'syncNextRetry' | 'syncAutoResetAt' | 'syncErrorMessage'
>;

/** Advoware answering 400/422, or our own validation: the same data will fail again. */
export function isValidationFailure(err: unknown): boolean {
  if (err instanceof ValidationError) return true;
  return err instanceof UpstreamError && (err.status === 400 || err.status === 422);
}

/**
 * What a finally failed run writes. The n-th consecutive failure waits
 * RETRY_SCHEDULE_MINUTES[n-1]; the fifth makes the entity `permanently_failed` until
 * `syncAutoResetAt` (so, as in the old system, the 240-minute step is the fallback for
 * counts beyond the table). A validation failure is not retried on a schedule at all:
 * `syncNextRetry` stays empty, and only a user change (status `dirty`) runs it again.
 */
export function failureFields(
  previousCount: number | null | undefined,
  message: string,
  validation: boolean,
  now: Date,
): SyncFailureFields {
  const text = message.slice(0, 1000);
  if (validation) {
    return {
      syncStatus: 'failed',
      syncRetryCount: previousCount ?? 0,
      syncNextRetry: null,
      syncAutoResetAt: null,
      syncErrorMessage: `validation: ${text}`,
    };
  }
  const count = (previousCount ?? 0) + 1;
  if (count >= MAX_SYNC_FAILURES) {
    const resetAt = espoDateTime(new Date(now.getTime() + AUTO_RESET_HOURS * 60 * MINUTE));
    return {
      syncStatus: 'permanently_failed',
      syncRetryCount: count,
      syncNextRetry: resetAt,
      syncAutoResetAt: resetAt,
      syncErrorMessage: text,
    };
  }
  const wait = RETRY_SCHEDULE_MINUTES[Math.min(count, RETRY_SCHEDULE_MINUTES.length) - 1];
  return {
    syncStatus: 'failed',
    syncRetryCount: count,
    syncNextRetry: espoDateTime(new Date(now.getTime() + wait * MINUTE)),
    syncAutoResetAt: null,
    syncErrorMessage: text,
  };
}

/** The cron's reset of a `permanently_failed` entity whose 24 h are over: due at once, counting from zero. */
export function autoResetFields(now: Date): SyncFailureFields {
  return {
    syncStatus: 'failed',
    syncRetryCount: 0,
    syncNextRetry: espoDateTime(now),
    syncAutoResetAt: null,
    syncErrorMessage: null,
  };
}

/**
 * A failed entity waits for its `syncNextRetry`. A user change is told apart by the
 * status: EspoCRM sets `dirty` (or `pending_sync`) on every user edit, which replaces
 * `failed`, so such an event is never held back by an old retry time.
 */
export function waitsForRetry(espo: CBeteiligte, now: Date): boolean {
  if (espo.syncStatus !== 'failed' && espo.syncStatus !== 'permanently_failed') return false;
  if (!espo.syncNextRetry)
    return espo.syncStatus === 'permanently_failed' || isValidationMessage(espo);
  return parseEspoDateTime(espo.syncNextRetry).getTime() > now.getTime();
}

function isValidationMessage(espo: CBeteiligte): boolean {
  return (espo.syncErrorMessage ?? '').startsWith('validation: ');
}
