import { Injectable, Logger } from '@nestjs/common';
import type { calendar_v3 } from 'googleapis';
import { AppConfig } from '../../config/app-config.js';
import {
  UpstreamError,
  UpstreamUnauthorizedError,
  ValidationError,
} from '../../core/errors/upstream.errors.js';
import { withRetry } from '../../core/http/with-retry.js';
import { HubMetrics } from '../../core/metrics/hub-metrics.js';
import { assertSubject, calendarApiFor, googleTokenUrls } from './google-calendar.auth.js';
import { toGoogleUpstreamError } from './google-calendar.errors.js';
import { isValidEventId } from './google-calendar.event-id.js';
import { readCalendarListPages, readEventPages } from './google-calendar.paging.js';
import { SubjectRateLimiter } from './google-calendar.rate-limiter.js';
import {
  type EventListResult,
  type FullListWindow,
  type GoogleCalendar,
  type GoogleCalendarListEntry,
  type GoogleEvent,
  GoogleTokenError,
  type NewCalendar,
  RATE_LIMIT_REASONS,
  SyncTokenExpiredError,
  type WriteOptions,
} from './google-calendar.types.js';

const ATTEMPTS = 5;
/** Quota refusals one call waits out before it counts as a failed attempt. */
const THROTTLE_WAITS = 8;
const DEFAULT_PAGE_SIZE = 1000;

/** API methods the client calls, with their HTTP verb for the metric label. */
const HTTP_VERB = {
  'calendarList.list': 'GET',
  'calendars.insert': 'POST',
  'calendars.patch': 'PATCH',
  'events.list': 'GET',
  'events.get': 'GET',
  'events.insert': 'POST',
  'events.patch': 'PATCH',
  'events.delete': 'DELETE',
} as const;
type GoogleOp = keyof typeof HTTP_VERB;

/**
 * The only door to Google Calendar. Speaks through `googleapis` with a service
 * account that impersonates each employee (domain-wide delegation), one API client
 * per employee. Every call passes the per-user adaptive limiter, is timed in
 * `hub_upstream_request_duration_seconds{system="google"}`, waits out quota refusals
 * at the rate the limiter learnt from them, retries 5xx in-call with jittered backoff
 * (gaxios' own retry is off, so each attempt is one request and counted once) and
 * fails with the hub's error classes only.
 */
@Injectable()
export class GoogleCalendarClient {
  private readonly logger = new Logger(GoogleCalendarClient.name);
  private readonly apis = new Map<string, calendar_v3.Calendar>();
  private readonly limiter: SubjectRateLimiter;
  /** Where token requests may show up in an error's config: Google's constant and the configured URL. */
  private readonly tokenUrls: string[];

  constructor(
    private readonly config: AppConfig,
    private readonly metrics: HubMetrics,
  ) {
    this.limiter = new SubjectRateLimiter({
      perMinute: config.google.rateLimitPerMinute,
      windowMs: config.google.quotaWindowMs,
      fallbackPauseMs: config.google.retryBaseMs,
    });
    this.tokenUrls = googleTokenUrls(config);
  }

  async listCalendars(subject: string): Promise<GoogleCalendarListEntry[]> {
    return readCalendarListPages(subject, (pageToken) =>
      this.call(subject, 'calendarList.list', (api) =>
        api.calendarList.list({ maxResults: 250, pageToken }),
      ),
    );
  }

  async insertCalendar(subject: string, calendar: NewCalendar): Promise<GoogleCalendar> {
    const res = await this.call(subject, 'calendars.insert', (api) =>
      api.calendars.insert({
        requestBody: {
          summary: calendar.summary,
          description: calendar.description,
          timeZone: calendar.timeZone,
        },
      }),
    );
    return res.data;
  }

  /** Changes only the description (adopting a calendar marks it there); summary and zone stay. */
  async patchCalendarDescription(
    subject: string,
    calendarId: string,
    description: string,
  ): Promise<GoogleCalendar> {
    const res = await this.call(subject, 'calendars.patch', (api) =>
      api.calendars.patch({ calendarId, requestBody: { description } }),
    );
    return res.data;
  }

  /** All live events of the window (every page) and the token for the next incremental list. */
  async listEventsFull(
    subject: string,
    calendarId: string,
    window: FullListWindow,
  ): Promise<EventListResult> {
    return this.listEvents(subject, calendarId, {
      timeMin: window.timeMin,
      timeMax: window.timeMax,
      singleEvents: false,
      showDeleted: false,
      maxResults: window.maxResults ?? DEFAULT_PAGE_SIZE,
    });
  }

  /**
   * Only what changed since `syncToken`, deletions included as `status: "cancelled"`
   * entries of which only `id` is guaranteed (map them back by id, e.g.
   * `frNrFromEventId`). Throws `SyncTokenExpiredError` on 410: drop the token and
   * call `listEventsFull`. `showDeleted` is not sent: Google's reference forbids
   * `showDeleted=false` with a sync token.
   */
  async listEventsIncremental(
    subject: string,
    calendarId: string,
    syncToken: string,
    options: { maxResults?: number } = {},
  ): Promise<EventListResult> {
    try {
      return await this.listEvents(subject, calendarId, {
        syncToken,
        singleEvents: false,
        maxResults: options.maxResults ?? DEFAULT_PAGE_SIZE,
      });
    } catch (err) {
      if (err instanceof UpstreamError && err.status === 410)
        throw new SyncTokenExpiredError(calendarId);
      throw err;
    }
  }

  /** The event, also when cancelled (Google keeps deleted events as `status: "cancelled"`). */
  async getEvent(subject: string, calendarId: string, eventId: string): Promise<GoogleEvent> {
    const res = await this.call(subject, 'events.get', (api) =>
      api.events.get({ calendarId, eventId }),
    );
    return res.data;
  }

  /**
   * Creates the event under the caller's id (see `eventIdFromFrNr`), so a retried
   * create cannot duplicate it. An existing id — even of a cancelled event — answers
   * `UpstreamConflictError`; bring a cancelled event back with `patchEvent(…, { status: 'confirmed' })`.
   */
  async insertEvent(subject: string, calendarId: string, event: GoogleEvent): Promise<GoogleEvent> {
    if (!event.id || !isValidEventId(event.id)) {
      throw new ValidationError(`event id ${String(event.id)} is not 5-1024 base32hex characters`);
    }
    const res = await this.call(subject, 'events.insert', (api) =>
      api.events.insert({ calendarId, requestBody: event, sendUpdates: 'none' }),
    );
    return res.data;
  }

  /**
   * Patch semantics: given fields replace, nested objects merge, and a key set to
   * null is removed (e.g. `extendedProperties.private.advowareFrNr: null`).
   */
  async patchEvent(
    subject: string,
    calendarId: string,
    eventId: string,
    patch: GoogleEvent,
    options: WriteOptions = {},
  ): Promise<GoogleEvent> {
    const res = await this.call(subject, 'events.patch', (api) =>
      api.events.patch(
        { calendarId, eventId, requestBody: patch, sendUpdates: 'none' },
        { headers: ifMatchHeader(options) },
      ),
    );
    return res.data;
  }

  /** Resolves true when this call deleted the event, false when it was gone already (404/410). */
  async deleteEvent(
    subject: string,
    calendarId: string,
    eventId: string,
    options: WriteOptions = {},
  ): Promise<boolean> {
    try {
      await this.call(subject, 'events.delete', (api) =>
        api.events.delete(
          { calendarId, eventId, sendUpdates: 'none' },
          { headers: ifMatchHeader(options) },
        ),
      );
      return true;
    } catch (err) {
      if (err instanceof UpstreamError && (err.status === 404 || err.status === 410)) return false;
      throw err;
    }
  }

  private async listEvents(
    subject: string,
    calendarId: string,
    params: calendar_v3.Params$Resource$Events$List,
  ): Promise<EventListResult> {
    return readEventPages(calendarId, (pageToken) =>
      this.call(subject, 'events.list', (api) =>
        api.events.list({ ...params, calendarId, pageToken }),
      ),
    );
  }

  /**
   * One logical call: in-call retries of transient errors, and one fresh
   * authentication when the API rejects a token we still believed valid.
   */
  private async call<T extends { status: number }>(
    subject: string,
    op: GoogleOp,
    fn: (api: calendar_v3.Calendar) => Promise<T>,
  ): Promise<T> {
    assertSubject(subject);
    const retryBaseMs = this.config.google.retryBaseMs;
    let reauthenticated = false;
    return withRetry(
      async () => {
        for (;;) {
          try {
            return await this.paced(subject, op, fn);
          } catch (err) {
            if (
              reauthenticated ||
              !(err instanceof UpstreamUnauthorizedError) ||
              err instanceof GoogleTokenError
            ) {
              throw err;
            }
            reauthenticated = true;
            this.apis.delete(subject);
            this.logger.warn(`google ${op} for ${subject} answered 401; authenticating again`);
          }
        }
      },
      {
        attempts: ATTEMPTS,
        baseMs: retryBaseMs,
        maxMs: retryBaseMs * 16,
        onRetry: (err, attempt, delayMs) =>
          this.logger.warn(
            `google ${op} for ${subject} failed (${(err as Error).message}); attempt ${attempt + 1}/${ATTEMPTS} in ${delayMs} ms`,
          ),
      },
    );
  }

  /**
   * Sends again after a quota refusal, as often as Google keeps refusing (up to
   * THROTTLE_WAITS): the limiter has cut the user's rate and paused them, so the
   * next attempt waits in `acquire` instead of failing the job and hammering.
   */
  private async paced<T extends { status: number }>(
    subject: string,
    op: GoogleOp,
    fn: (api: calendar_v3.Calendar) => Promise<T>,
  ): Promise<T> {
    for (let waits = 0; ; waits++) {
      try {
        return await this.attempt(subject, op, fn);
      } catch (err) {
        if (!isQuotaRefusal(err) || waits >= THROTTLE_WAITS) throw err;
      }
    }
  }

  /** One HTTP request: limiter, metrics, error mapping. */
  private async attempt<T extends { status: number }>(
    subject: string,
    op: GoogleOp,
    fn: (api: calendar_v3.Calendar) => Promise<T>,
  ): Promise<T> {
    const api = this.api(subject);
    const sentAt = await this.limiter.acquire(subject);
    const started = performance.now();
    const observe = (status: number | string) =>
      this.metrics.upstream.observe(
        { system: 'google', route: op, method: HTTP_VERB[op], status: String(status) },
        (performance.now() - started) / 1000,
      );
    try {
      const res = await fn(api);
      observe(res.status);
      this.limiter.accepted(subject);
      return res;
    } catch (err) {
      const mapped = toGoogleUpstreamError(err, {
        op,
        tokenUrls: this.tokenUrls,
        retryAfterCapMs: this.config.google.retryBaseMs * 16,
      });
      observe(
        mapped instanceof UpstreamError ? (mapped.status ?? (mapped.reason || 'error')) : 'error',
      );
      if (isQuotaRefusal(mapped)) {
        const outcome = this.limiter.refused(subject, sentAt, mapped.retryAfterMs);
        if (outcome !== 'same-episode')
          this.logger.warn(
            `google ${op} for ${subject}: quota refusal (${mapped.status} ${mapped.reason ?? ''}); ` +
              `now ${Math.round(this.limiter.perMinute(subject))} requests/min (${outcome})`,
          );
      }
      throw mapped;
    }
  }

  private api(subject: string): calendar_v3.Calendar {
    let api = this.apis.get(subject);
    if (!api) {
      // The service account impersonating the employee (google-calendar.auth.ts).
      api = calendarApiFor(this.config, subject, this.tokenUrls);
      this.apis.set(subject, api);
    }
    return api;
  }
}

/** Google's "slow down": 429, or 403 with a quota reason (`RATE_LIMIT_REASONS`). */
function isQuotaRefusal(err: unknown): err is UpstreamError {
  if (!(err instanceof UpstreamError) || !err.transient) return false;
  return err.status === 429 || (err.status === 403 && RATE_LIMIT_REASONS.has(err.reason ?? ''));
}

function ifMatchHeader(options: WriteOptions): Record<string, string> {
  return options.ifMatch ? { 'If-Match': options.ifMatch } : {};
}
