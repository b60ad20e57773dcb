import { Injectable, Logger } from '@nestjs/common';
import type { calendar_v3 } from 'googleapis';
// Only the Calendar API: the package's entry point loads every Google API, ~50 MB of
// heap and ~100 MB of RSS that the hub carries from boot on (measured by `npm run bench`).
import {
  auth as googleAuth,
  calendar as googleCalendar,
} from 'googleapis/build/src/apis/calendar/index.js';
import { AppConfig } from '../../config/app-config.js';
import {
  PermanentUpstreamError,
  UpstreamError,
  UpstreamUnauthorizedError,
  ValidationError,
} from '../../core/errors/upstream.errors.js';
import { withRetry } from '../../core/http/with-retry.js';
import { HubMetrics } from '../../core/metrics/hub-metrics.js';
import { shadowGaxiosInterceptor } from '../../core/shadow/shadow-http.js';
import { toGoogleUpstreamError } from './google-calendar.errors.js';
import { isValidEventId } from './google-calendar.event-id.js';
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

const CALENDAR_SCOPE = 'https://www.googleapis.com/auth/calendar';
/** gtoken posts the assertion here and nowhere else (it is a constant in gtoken 8). */
const GOOGLE_TOKEN_ENDPOINT = 'https://oauth2.googleapis.com/token';
const ATTEMPTS = 5;
/** Quota refusals one call waits out before it counts as a failed attempt. */
const THROTTLE_WAITS = 8;
const DEFAULT_PAGE_SIZE = 1000;
/** A runaway pageToken loop must end; 1000 pages of 1000 events is far beyond any calendar. */
const MAX_PAGES = 1000;

type JwtClient = InstanceType<typeof googleAuth.JWT>;

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
    this.tokenUrls = [GOOGLE_TOKEN_ENDPOINT, new URL(config.google.tokenUrl).href];
  }

  async listCalendars(subject: string): Promise<GoogleCalendarListEntry[]> {
    const out: GoogleCalendarListEntry[] = [];
    let pageToken: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const res = await this.call(subject, 'calendarList.list', (api) =>
        api.calendarList.list({ maxResults: 250, pageToken }),
      );
      out.push(...(res.data.items ?? []));
      pageToken = res.data.nextPageToken ?? undefined;
      if (!pageToken) return out;
    }
    throw new PermanentUpstreamError(
      'google',
      `calendar list of ${subject} did not end after ${MAX_PAGES} pages`,
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
    const events: GoogleEvent[] = [];
    let pageToken: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const res = await this.call(subject, 'events.list', (api) =>
        api.events.list({ ...params, calendarId, pageToken }),
      );
      events.push(...(res.data.items ?? []));
      pageToken = res.data.nextPageToken ?? undefined;
      if (pageToken) continue;
      if (!res.data.nextSyncToken) {
        throw new PermanentUpstreamError(
          'google',
          `events.list of ${calendarId} ended without nextSyncToken`,
        );
      }
      return { events, nextSyncToken: res.data.nextSyncToken };
    }
    throw new PermanentUpstreamError(
      'google',
      `events.list of ${calendarId} did not end after ${MAX_PAGES} pages`,
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
      api = googleCalendar({
        version: 'v3',
        auth: this.jwtFor(subject),
        rootUrl: this.config.google.apiRootUrl,
        retry: false,
        timeout: this.config.google.timeoutMs,
      });
      this.apis.set(subject, api);
    }
    return api;
  }

  private jwtFor(subject: string): JwtClient {
    const { serviceAccountEmail, privateKey, tokenUrl, timeoutMs } = this.config.google;
    if (!serviceAccountEmail || !privateKey) {
      throw new PermanentUpstreamError('google', 'Google service account is not configured', {
        reason: 'GOOGLE_SERVICE_ACCOUNT_EMAIL / GOOGLE_SERVICE_ACCOUNT_PRIVATE_KEY missing',
      });
    }
    const jwt = new googleAuth.JWT({
      email: serviceAccountEmail,
      key: privateKey,
      scopes: [CALENDAR_SCOPE],
      subject,
      transporterOptions: { timeout: timeoutMs },
    });
    // google-auth-library has no option for the token URL: gtoken posts to a
    // constant. Its requests do go through the client's public `transporter`, so an
    // interceptor redirects them to GOOGLE_TOKEN_URL (the fake in tests). The JWT's
    // `aud` claim stays Google's token URL, which is what Google checks.
    // The same interceptor turns gaxios' retries off for every request of this client
    // (gtoken asks for retries of the token POST): our withRetry is the only retry.
    const redirectToken = tokenUrl !== GOOGLE_TOKEN_ENDPOINT;
    jwt.transporter.interceptors.request.add({
      resolved: async (opts) => {
        if (redirectToken && String(opts.url) === GOOGLE_TOKEN_ENDPOINT)
          opts.url = new URL(tokenUrl);
        opts.retry = false;
        delete opts.retryConfig;
        return opts;
      },
    });
    // Shadow mode (src/core/shadow): inside a shadow job every Calendar write is
    // recorded and answered there, never sent; reads and the token exchange pass.
    jwt.transporter.interceptors.request.add(shadowGaxiosInterceptor(this.tokenUrls));
    return jwt;
  }
}

/** Google's "slow down": 429, or 403 with a quota reason (`RATE_LIMIT_REASONS`). */
function isQuotaRefusal(err: unknown): err is UpstreamError {
  if (!(err instanceof UpstreamError) || !err.transient) return false;
  return err.status === 429 || (err.status === 403 && RATE_LIMIT_REASONS.has(err.reason ?? ''));
}

function assertSubject(subject: string): void {
  if (typeof subject !== 'string' || !/^[^@\s]+@[^@\s]+$/.test(subject)) {
    throw new ValidationError(
      `Google subject must be the employee's email address, got ${String(subject)}`,
    );
  }
}

function ifMatchHeader(options: WriteOptions): Record<string, string> {
  return options.ifMatch ? { 'If-Match': options.ifMatch } : {};
}
