import type { calendar_v3 } from 'googleapis';
import {
  PermanentUpstreamError,
  UpstreamUnauthorizedError,
} from '../../core/errors/upstream.errors.js';

export type GoogleEvent = calendar_v3.Schema$Event;
export type GoogleCalendarListEntry = calendar_v3.Schema$CalendarListEntry;
export type GoogleCalendar = calendar_v3.Schema$Calendar;

export interface NewCalendar {
  summary: string;
  description?: string;
  timeZone?: string;
}

/** The window of a full sync; `timeMin` filters by event end, `timeMax` by event start (Google's semantics). */
export interface FullListWindow {
  timeMin: string;
  timeMax?: string;
  /** Page size; Google allows up to 2500. */
  maxResults?: number;
}

export interface EventListResult {
  /**
   * Full lists hold only live events; incremental lists also hold deletions as
   * `status: "cancelled"` entries, of which Google guarantees only the `id`.
   */
  events: GoogleEvent[];
  /** Store it and pass it to `listEventsIncremental` next time. */
  nextSyncToken: string;
}

export interface WriteOptions {
  /** The etag last seen; Google answers 412 if the event changed since (→ `EventChangedError`). */
  ifMatch?: string;
}

/** Reasons Google gives with 403 when a quota, not a permission, is the problem. */
export const RATE_LIMIT_REASONS: ReadonlySet<string> = new Set([
  'rateLimitExceeded',
  'userRateLimitExceeded',
  'quotaExceeded',
]);

/** 410 on an incremental list: the sync token is gone, drop it and run a full sync. */
export class SyncTokenExpiredError extends PermanentUpstreamError {
  constructor(calendarId: string) {
    super('google', `sync token for calendar ${calendarId} expired: a full sync is required`, {
      status: 410,
      reason: 'fullSyncRequired',
    });
  }
}

/** 412 on a write with `If-Match`: the event was changed in Google since it was read. */
export class EventChangedError extends PermanentUpstreamError {}

/**
 * The token endpoint refused the service account's assertion (wrong key, delegation
 * not granted for the user or scope). Re-authenticating does not help, unlike a 401
 * from the API itself.
 */
export class GoogleTokenError extends UpstreamUnauthorizedError {}
