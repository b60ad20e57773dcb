import { createPublicKey, randomBytes, verify, type KeyObject } from 'node:crypto';
import type { calendar_v3 } from 'googleapis';
import { FakeServer, type FakeRequest, type FakeResponse } from '../common/fake-server.js';
import {
  GoogleRuleError,
  applyPatch,
  assertTimeZone,
  instantOf,
  parseQueryTime,
  seriesEndOf,
  validateEvent,
  writableFields,
  type FakeEvent,
} from './google-calendar-rules.js';
import {
  TEST_SERVICE_ACCOUNT_EMAIL,
  makeGoogleTestCredentials,
  type GoogleTestCredentials,
} from './google-credentials.js';

/**
 * Fake of Google Calendar API v3 plus Google's OAuth token endpoint, as `googleapis`
 * calls them with `rootUrl` pointed here (CONTRACTS.md "Google Calendar API v3").
 *
 * Token endpoint (`POST /token`): JWT-bearer grant only. The assertion must be RS256,
 * signed by the service account's key (public half given to the fake), `iss` = the
 * service account, `aud` = https://oauth2.googleapis.com/token (gtoken's constant,
 * what Google checks), `exp` in the future and at most an hour after `iat`, `sub` =
 * the impersonated user (domain-wide delegation; required here, the hub always
 * impersonates), every requested scope granted to the delegation. Failures answer as
 * Google: 400 `invalid_grant` / 401 `unauthorized_client`.
 *
 * API: `Authorization: Bearer <token from /token>` on every call (401 otherwise); the
 * token's `sub` decides whose calendars are visible. Per user: a primary calendar
 * (id = the email, alias `primary`) plus inserted ones; other users' calendars are 404.
 * Errors carry Google's body `{error: {code, message, errors: [{domain, reason, message}]}}`.
 *
 * Decisions where Google's docs are silent or the fake simplifies (unverified):
 * - an unknown or expired sync token answers 410 `fullSyncRequired`; a sync token
 *   returns every change of the calendar since it was issued, regardless of the
 *   original `timeMin`/`timeMax`;
 * - a cancelled event in an incremental list carries only kind, etag, id and status
 *   unless `showDeleted=true` (Google guarantees only the id of deleted events and
 *   hides their details on incremental requests without showDeleted);
 * - recurring events are not expanded: `singleEvents=true` answers 400, and a series
 *   counts as running until its RRULE `UNTIL` (or forever) for `timeMin`;
 * - a deleted event stays as `status: "cancelled"`: `get` returns it, `insert` with its
 *   id answers 409, `patch` may bring it back (`status: "confirmed"`), a second
 *   `delete` answers 410 `deleted`;
 * - no attendees/notifications, ACLs, colors, watch channels, calendarList sync tokens.
 */

export const GOOGLE_TOKEN_AUDIENCE = 'https://oauth2.googleapis.com/token';
export const CALENDAR_SCOPE = 'https://www.googleapis.com/auth/calendar';
export const CALENDAR_EVENTS_SCOPE = 'https://www.googleapis.com/auth/calendar.events';
const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const CLOCK_SKEW_S = 60;
const API = '/calendar/v3';

export type FakeCalendarListEntry = calendar_v3.Schema$CalendarListEntry;
export type { FakeEvent };

export type GoogleWriteMethod =
  'calendars.insert' | 'calendars.patch' | 'events.insert' | 'events.patch' | 'events.delete';

export interface GoogleCalendarFakeOptions {
  port?: number;
  /** The service account's public key (PEM). Without it the fake makes a key pair: see `credentials`. */
  publicKeyPem?: string;
  serviceAccountEmail?: string;
  latencyMs?: number;
  /** `expires_in` of issued access tokens. */
  tokenTtlSeconds?: number;
  /** Scopes the domain-wide delegation grants; asking for others is 401 `unauthorized_client`. */
  allowedScopes?: string[];
  /** When set, only these users can be impersonated (others: 400 `invalid_grant`). */
  knownSubjects?: string[];
  logBodies?: boolean;
  /** Google's per-user quota; off when absent. Also `POST /__google/quota` at runtime. */
  quota?: UserQuota;
}

/**
 * Google counts Calendar API requests per user and minute (documented: 600/min per
 * user by default, and lower in practice). The fake counts a sliding window of
 * `windowMs` (60 s like Google unless a test shortens it), which refuses any burst a
 * fixed window would refuse too. Assumed, not documented: refused requests do not
 * use up quota, and the token endpoint has no such quota.
 */
export interface UserQuota {
  perWindow: number;
  windowMs?: number;
}

export interface SeedCalendar {
  id?: string;
  summary: string;
  description?: string;
  timeZone?: string;
  events?: FakeEvent[];
}

/** `POST /__fake/seed` body. The primary calendar (id = email) always exists; seed its events under `primary`. */
export interface GoogleCalendarSeed {
  users?: Record<string, { timeZone?: string; primary?: FakeEvent[]; calendars?: SeedCalendar[] }>;
}

export interface TokenGrant {
  at: number;
  sub: string;
  scope: string;
}

interface StoredEvent {
  event: FakeEvent;
  seq: number;
}

interface StoredCalendar {
  entry: FakeCalendarListEntry;
  events: Map<string, StoredEvent>;
}

interface AccessToken {
  sub: string;
  scopes: string[];
  expiresAt: number;
}

interface Cursor {
  sub: string;
  calendarId: string;
  items: unknown[];
  nextSyncToken?: string;
}

type Authorized = { sub: string; scopes: string[] };

export class GoogleCalendarFake extends FakeServer {
  /** Set when the fake made its own key pair (no `publicKeyPem` given): hand these to the hub. */
  readonly credentials?: GoogleTestCredentials;
  readonly serviceAccountEmail: string;
  private readonly publicKey: KeyObject;
  private readonly tokenTtlSeconds: number;
  private readonly allowedScopes: Set<string>;
  private readonly knownSubjects?: Set<string>;

  private users = new Map<string, Map<string, StoredCalendar>>();
  private accessTokens = new Map<string, AccessToken>();
  private syncTokens = new Map<string, { sub: string; calendarId: string; seq: number }>();
  private cursors = new Map<string, Cursor>();
  private seq = 0;
  private lastUpdated = 0;
  private writeCounts: Record<GoogleWriteMethod, number> = emptyWrites();
  /** Every access token issued, with the impersonated user. */
  tokenGrants: TokenGrant[] = [];
  private quota?: Required<UserQuota>;
  private readonly optionsQuota?: UserQuota;
  /** Accepted API requests per user within the current quota window (send times). */
  private quotaLog = new Map<string, number[]>();
  private refusedCounts = new Map<string, number>();

  constructor(options: GoogleCalendarFakeOptions = {}) {
    super({ name: 'google-calendar', latencyMs: options.latencyMs, logBodies: options.logBodies });
    if (options.publicKeyPem) {
      this.publicKey = createPublicKey(options.publicKeyPem);
      this.serviceAccountEmail = options.serviceAccountEmail ?? TEST_SERVICE_ACCOUNT_EMAIL;
    } else {
      this.credentials = makeGoogleTestCredentials(options.serviceAccountEmail);
      this.publicKey = createPublicKey(this.credentials.publicKeyPem);
      this.serviceAccountEmail = this.credentials.serviceAccountEmail;
    }
    this.tokenTtlSeconds = options.tokenTtlSeconds ?? 3599;
    this.allowedScopes = new Set(options.allowedScopes ?? [CALENDAR_SCOPE, CALENDAR_EVENTS_SCOPE]);
    this.knownSubjects = options.knownSubjects
      ? new Set(options.knownSubjects.map(norm))
      : undefined;
    this.optionsQuota = options.quota;
    this.setQuota(options.quota);

    this.route('POST', '/token', (req) => this.token(req));
    this.route('GET', `${API}/users/me/calendarList`, (req) =>
      this.api(req, true, (a) => this.listCalendarList(a, req)),
    );
    this.route('GET', `${API}/users/me/calendarList/:calendarId`, (req) =>
      this.api(req, false, (a) => ({
        status: 200,
        body: this.calendarOf(a.sub, req.params.calendarId).entry,
      })),
    );
    this.route('POST', `${API}/calendars`, (req) =>
      this.api(req, true, (a) => this.insertCalendar(a, req)),
    );
    this.route('GET', `${API}/calendars/:calendarId`, (req) =>
      this.api(req, false, (a) => ({
        status: 200,
        body: calendarResource(this.calendarOf(a.sub, req.params.calendarId)),
      })),
    );
    this.route('PATCH', `${API}/calendars/:calendarId`, (req) =>
      this.api(req, true, (a) => this.patchCalendar(a, req)),
    );
    this.route('GET', `${API}/calendars/:calendarId/events`, (req) =>
      this.api(req, false, (a) => this.listEvents(a, req)),
    );
    this.route('POST', `${API}/calendars/:calendarId/events`, (req) =>
      this.api(req, false, (a) => this.insertEvent(a, req)),
    );
    this.route('GET', `${API}/calendars/:calendarId/events/:eventId`, (req) =>
      this.api(req, false, (a) => ({
        status: 200,
        body: this.storedEvent(a.sub, req).stored.event,
      })),
    );
    this.route('PATCH', `${API}/calendars/:calendarId/events/:eventId`, (req) =>
      this.api(req, false, (a) => this.patchEvent(a, req)),
    );
    this.route('DELETE', `${API}/calendars/:calendarId/events/:eventId`, (req) =>
      this.api(req, false, (a) => this.deleteEvent(a, req)),
    );
    // `/__fake/*` is answered by the base class alone, so the fake's own controls live here.
    this.route('POST', '/__google/expire-sync-tokens', () => {
      this.expireSyncTokens();
      return { status: 200, body: { ok: true } };
    });
    this.route('POST', '/__google/revoke-tokens', () => {
      this.revokeTokens();
      return { status: 200, body: { ok: true } };
    });
    // `{perWindow, windowMs?}` sets the per-user quota, `{}` or `{perWindow: null}` removes it.
    this.route('POST', '/__google/quota', (req) => {
      const body = (req.body ?? {}) as { perWindow?: unknown; windowMs?: unknown };
      if (body.perWindow === undefined || body.perWindow === null) {
        this.setQuota(undefined);
        return { status: 200, body: { quota: null } };
      }
      const perWindow = Number(body.perWindow);
      const windowMs = body.windowMs === undefined ? 60_000 : Number(body.windowMs);
      if (!Number.isInteger(perWindow) || perWindow < 1 || !(windowMs > 0)) {
        return { status: 400, body: { error: 'perWindow must be an integer >= 1, windowMs > 0' } };
      }
      this.setQuota({ perWindow, windowMs });
      return { status: 200, body: { quota: this.quota } };
    });
    this.route('GET', '/__google/quota', () => ({
      status: 200,
      body: { quota: this.quota ?? null, refused: this.refusedByUser() },
    }));
  }

  // --- typed test API ------------------------------------------------------------

  /** The user's calendar list (primary first). */
  calendars(subject: string): FakeCalendarListEntry[] {
    return [...this.userCalendars(subject).values()].map((c) => structuredClone(c.entry));
  }

  /** Events including cancelled ones; all of the user's calendars when `calendarId` is omitted. */
  events(subject: string, calendarId?: string): FakeEvent[] {
    const calendars = calendarId
      ? [this.calendarOf(norm(subject), calendarId)]
      : [...this.userCalendars(subject).values()];
    return calendars.flatMap((c) => [...c.events.values()].map((s) => structuredClone(s.event)));
  }

  event(subject: string, calendarId: string, eventId: string): FakeEvent | undefined {
    const stored = this.calendarOf(norm(subject), calendarId).events.get(eventId);
    return stored ? structuredClone(stored.event) : undefined;
  }

  /** A calendar made by the user in Google; answers its id. */
  addCalendar(subject: string, calendar: Omit<SeedCalendar, 'events'>): string {
    return this.createCalendar(norm(subject), calendar).entry.id!;
  }

  /** An event the user creates in Google (random id unless given). */
  addEvent(subject: string, calendarId: string, event: FakeEvent): FakeEvent {
    const calendar = this.calendarOf(norm(subject), calendarId);
    return structuredClone(this.storeNewEvent(norm(subject), calendar, event).event);
  }

  /** A user's edit in Google: merges like a patch, bumps `updated`, `etag` and the sync position. */
  editEvent(subject: string, calendarId: string, eventId: string, patch: FakeEvent): FakeEvent {
    const calendar = this.calendarOf(norm(subject), calendarId);
    const stored = this.requireEvent(calendar, eventId);
    return structuredClone(
      this.updateEvent(calendar, stored, applyPatch(stored.event, patch)).event,
    );
  }

  /** A user deletes the event in Google: it turns `cancelled`. */
  cancelEvent(subject: string, calendarId: string, eventId: string): FakeEvent {
    return this.editEvent(subject, calendarId, eventId, { status: 'cancelled' });
  }

  /** Shares the calendar with the user at a lower role, e.g. `reader`: writes then answer 403 `requiredAccessLevel`. */
  setAccessRole(
    subject: string,
    calendarId: string,
    role: 'owner' | 'writer' | 'reader' | 'freeBusyReader',
  ): void {
    this.calendarOf(norm(subject), calendarId).entry.accessRole = role;
  }

  /** Every sync token answers 410 from now on (Google does this at will). */
  expireSyncTokens(): void {
    this.syncTokens.clear();
  }

  /** Every access token answers 401 from now on (a revoked or expired token). */
  revokeTokens(): void {
    this.accessTokens.clear();
  }

  /** Successful writes through the API, per method (edits through the test API are not counted). */
  get writes(): Record<GoogleWriteMethod, number> {
    return { ...this.writeCounts };
  }

  get writeCount(): number {
    return Object.values(this.writeCounts).reduce((a, b) => a + b, 0);
  }

  resetWriteCounts(): void {
    this.writeCounts = emptyWrites();
  }

  /** Enforces Google's per-user quota from now on (`undefined`: no quota); the window starts empty. */
  setQuota(quota: UserQuota | undefined): void {
    this.quota = quota && { perWindow: quota.perWindow, windowMs: quota.windowMs ?? 60_000 };
    this.quotaLog = new Map();
  }

  /** API requests refused with 403 userRateLimitExceeded, for one user or all. */
  refused(subject?: string): number {
    if (subject !== undefined) return this.refusedCounts.get(norm(subject)) ?? 0;
    return [...this.refusedCounts.values()].reduce((a, b) => a + b, 0);
  }

  refusedByUser(): Record<string, number> {
    return Object.fromEntries(this.refusedCounts);
  }

  resetRefused(): void {
    this.refusedCounts = new Map();
  }

  // --- FakeServer contract ---------------------------------------------------------

  state(): unknown {
    const users: Record<string, unknown> = {};
    for (const [sub, calendars] of this.users) {
      users[sub] = {
        calendars: [...calendars.values()].map((c) => ({
          ...c.entry,
          events: [...c.events.values()].map((s) => s.event),
        })),
      };
    }
    return {
      serviceAccountEmail: this.serviceAccountEmail,
      users,
      accessTokens: this.accessTokens.size,
      syncTokens: this.syncTokens.size,
      writes: this.writes,
      tokenGrants: this.tokenGrants,
      quota: this.quota ?? null,
      refused: this.refusedByUser(),
    };
  }

  reset(): void {
    this.users = new Map();
    this.accessTokens = new Map();
    this.syncTokens = new Map();
    this.cursors = new Map();
    this.writeCounts = emptyWrites();
    this.tokenGrants = [];
    this.setQuota(this.optionsQuota);
    this.refusedCounts = new Map();
  }

  seed(data: unknown): void {
    const seed = (data ?? {}) as GoogleCalendarSeed;
    if (typeof seed !== 'object' || Array.isArray(seed))
      throw new Error('seed must be {users: {...}}');
    for (const [subject, user] of Object.entries(seed.users ?? {})) {
      const sub = norm(subject);
      const primary = this.primaryOf(sub);
      if (user.timeZone) {
        assertTimeZone(user.timeZone);
        primary.entry.timeZone = user.timeZone;
      }
      try {
        for (const e of user.primary ?? []) this.storeNewEvent(sub, primary, e);
        for (const c of user.calendars ?? []) {
          const calendar = this.createCalendar(sub, c);
          for (const e of c.events ?? []) this.storeNewEvent(sub, calendar, e);
        }
      } catch (err) {
        if (err instanceof GoogleRuleError) throw new Error(`seed for ${sub}: ${err.message}`);
        throw err;
      }
    }
  }

  /** Google's error body, so injected faults look real; 403 and 429 are rate limits. */
  protected override faultBody(status: number): unknown {
    const [reason, message, domain] = FAULT_REASONS[status] ?? [
      'backendError',
      `Injected ${status}`,
      'global',
    ];
    return googleErrorBody(status, reason, message, domain);
  }

  // --- token endpoint ----------------------------------------------------------------

  private token(req: FakeRequest): FakeResponse {
    const form = new URLSearchParams(req.rawBody.toString('utf8'));
    if (!(req.headers['content-type'] ?? '').includes('application/x-www-form-urlencoded')) {
      return oauthError(
        400,
        'invalid_request',
        'Content-Type must be application/x-www-form-urlencoded',
      );
    }
    if (form.get('grant_type') !== JWT_BEARER) {
      return oauthError(
        400,
        'unsupported_grant_type',
        'Invalid grant_type: ' + (form.get('grant_type') ?? ''),
      );
    }
    const assertion = form.get('assertion');
    if (!assertion)
      return oauthError(400, 'invalid_request', 'Missing required parameter: assertion');

    const parts = assertion.split('.');
    if (parts.length !== 3) return oauthError(400, 'invalid_grant', 'Invalid JWT: malformed');
    const header = decodeSegment(parts[0]);
    const claims = decodeSegment(parts[1]);
    if (!header || !claims) return oauthError(400, 'invalid_grant', 'Invalid JWT: not JSON');
    if (header.alg !== 'RS256')
      return oauthError(400, 'invalid_grant', 'Invalid JWT: alg must be RS256');
    const signed = verify(
      'RSA-SHA256',
      Buffer.from(`${parts[0]}.${parts[1]}`),
      this.publicKey,
      Buffer.from(parts[2], 'base64url'),
    );
    if (!signed) return oauthError(400, 'invalid_grant', 'Invalid JWT Signature.');

    const now = Math.floor(Date.now() / 1000);
    const { iss, sub, scope, aud, exp, iat } = claims;
    if (iss !== this.serviceAccountEmail)
      return oauthError(400, 'invalid_grant', 'Invalid grant: account not found');
    if (aud !== GOOGLE_TOKEN_AUDIENCE)
      return oauthError(
        400,
        'invalid_grant',
        'Invalid JWT: audience must be ' + GOOGLE_TOKEN_AUDIENCE,
      );
    if (
      typeof exp !== 'number' ||
      typeof iat !== 'number' ||
      exp <= now ||
      iat > now + CLOCK_SKEW_S ||
      exp - iat > 3600
    ) {
      return oauthError(
        400,
        'invalid_grant',
        'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.',
      );
    }
    if (typeof sub !== 'string' || !/^[^@\s]+@[^@\s]+$/.test(sub)) {
      return oauthError(
        401,
        'unauthorized_client',
        'The fake requires domain-wide delegation: `sub` must be a user email',
      );
    }
    if (this.knownSubjects && !this.knownSubjects.has(norm(sub))) {
      return oauthError(400, 'invalid_grant', 'Invalid email or User ID');
    }
    const scopes = typeof scope === 'string' ? scope.split(' ').filter(Boolean) : [];
    if (scopes.length === 0)
      return oauthError(400, 'invalid_scope', 'Empty or missing scope not allowed.');
    if (scopes.some((s) => !this.allowedScopes.has(s))) {
      return oauthError(
        401,
        'unauthorized_client',
        'Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.',
      );
    }

    const accessToken = `ya29.fake-${randomBytes(24).toString('base64url')}`;
    this.accessTokens.set(accessToken, {
      sub: norm(sub),
      scopes,
      expiresAt: Date.now() + this.tokenTtlSeconds * 1000,
    });
    this.tokenGrants.push({ at: Date.now(), sub: norm(sub), scope: scopes.join(' ') });
    this.primaryOf(norm(sub));
    return {
      status: 200,
      body: { access_token: accessToken, expires_in: this.tokenTtlSeconds, token_type: 'Bearer' },
    };
  }

  // --- API plumbing ------------------------------------------------------------------

  private api(
    req: FakeRequest,
    needsCalendarScope: boolean,
    handler: (a: Authorized) => FakeResponse,
  ): FakeResponse {
    const auth = req.headers.authorization ?? '';
    const m = /^Bearer (\S+)$/i.exec(auth);
    if (!m) {
      return googleError(
        401,
        'required',
        'Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
      );
    }
    const token = this.accessTokens.get(m[1]);
    if (!token || token.expiresAt <= Date.now())
      return googleError(401, 'authError', 'Invalid Credentials');
    const sufficient =
      token.scopes.includes(CALENDAR_SCOPE) ||
      (!needsCalendarScope && token.scopes.includes(CALENDAR_EVENTS_SCOPE));
    if (!sufficient)
      return googleError(
        403,
        'insufficientPermissions',
        'Request had insufficient authentication scopes.',
      );
    if (!this.withinQuota(token.sub)) {
      this.refusedCounts.set(token.sub, (this.refusedCounts.get(token.sub) ?? 0) + 1);
      // Google's documented answer (Calendar API "Handle API errors"), no Retry-After.
      return googleError(403, 'userRateLimitExceeded', 'User Rate Limit Exceeded');
    }
    try {
      return handler({ sub: token.sub, scopes: token.scopes });
    } catch (err) {
      if (err instanceof GoogleRuleError) return googleError(err.status, err.reason, err.message);
      throw err;
    }
  }

  /** Takes one request of the user's quota; false when the window is full. */
  private withinQuota(sub: string): boolean {
    if (!this.quota) return true;
    const now = Date.now();
    const log = (this.quotaLog.get(sub) ?? []).filter((t) => t > now - this.quota!.windowMs);
    this.quotaLog.set(sub, log);
    if (log.length >= this.quota.perWindow) return false;
    log.push(now);
    return true;
  }

  private userCalendars(subject: string): Map<string, StoredCalendar> {
    const sub = norm(subject);
    this.primaryOf(sub);
    return this.users.get(sub)!;
  }

  private primaryOf(sub: string): StoredCalendar {
    let calendars = this.users.get(sub);
    if (!calendars) {
      calendars = new Map();
      this.users.set(sub, calendars);
    }
    let primary = calendars.get(sub);
    if (!primary) {
      primary = {
        entry: {
          kind: 'calendar#calendarListEntry',
          etag: this.nextEtag(),
          id: sub,
          summary: sub,
          timeZone: 'Europe/Berlin',
          accessRole: 'owner',
          primary: true,
          defaultReminders: [],
        },
        events: new Map(),
      };
      calendars.set(sub, primary);
    }
    return primary;
  }

  private calendarOf(sub: string, calendarId: string): StoredCalendar {
    const calendars = this.userCalendars(sub);
    const id = calendarId === 'primary' ? norm(sub) : calendarId;
    const calendar = calendars.get(id);
    if (!calendar) throw new GoogleRuleError(404, 'notFound', 'Not Found');
    return calendar;
  }

  private createCalendar(sub: string, c: Omit<SeedCalendar, 'events'>): StoredCalendar {
    if (!c.summary) throw new GoogleRuleError(400, 'required', 'Missing title.');
    const timeZone = c.timeZone ?? 'UTC';
    assertTimeZone(timeZone);
    const id = c.id ?? `c_${randomBytes(16).toString('hex')}@group.calendar.google.com`;
    const calendars = this.userCalendars(sub);
    if (calendars.has(id))
      throw new GoogleRuleError(409, 'duplicate', 'The requested identifier already exists.');
    const calendar: StoredCalendar = {
      entry: {
        kind: 'calendar#calendarListEntry',
        etag: this.nextEtag(),
        id,
        summary: c.summary,
        description: c.description,
        timeZone,
        accessRole: 'owner',
        defaultReminders: [],
      },
      events: new Map(),
    };
    calendars.set(id, calendar);
    return calendar;
  }

  private storedEvent(
    sub: string,
    req: FakeRequest,
  ): { calendar: StoredCalendar; stored: StoredEvent } {
    const calendar = this.calendarOf(sub, req.params.calendarId);
    return { calendar, stored: this.requireEvent(calendar, req.params.eventId) };
  }

  private requireEvent(calendar: StoredCalendar, eventId: string): StoredEvent {
    const stored = calendar.events.get(eventId);
    if (!stored) throw new GoogleRuleError(404, 'notFound', 'Not Found');
    return stored;
  }

  private storeNewEvent(sub: string, calendar: StoredCalendar, body: FakeEvent): StoredEvent {
    if (!body || typeof body !== 'object')
      throw new GoogleRuleError(400, 'badRequest', 'Bad Request');
    const id = body.id ?? randomEventId();
    const event: FakeEvent = { ...writableFields(body), id };
    event.status = event.status ?? 'confirmed';
    validateEvent(event, calendar.entry.timeZone ?? 'UTC');
    if (calendar.events.has(id))
      throw new GoogleRuleError(409, 'duplicate', 'The requested identifier already exists.');
    const updated = this.nextUpdated();
    const stored: StoredEvent = {
      seq: ++this.seq,
      event: {
        kind: 'calendar#event',
        etag: this.etagFor(this.seq),
        ...event,
        htmlLink: `https://www.google.com/calendar/event?eid=${Buffer.from(`${id} ${calendar.entry.id}`).toString('base64url')}`,
        created: updated,
        updated,
        creator: { email: sub, self: true },
        organizer: { email: calendar.entry.id!, displayName: calendar.entry.summary!, self: true },
        iCalUID: `${id}@google.com`,
        sequence: event.sequence ?? 0,
        reminders: event.reminders ?? { useDefault: true },
        eventType: event.eventType ?? 'default',
      },
    };
    calendar.events.set(id, stored);
    return stored;
  }

  /** Stores a new version of an event: bumps the change sequence, etag and `updated`. */
  private updateEvent(calendar: StoredCalendar, stored: StoredEvent, next: FakeEvent): StoredEvent {
    validateEvent(next, calendar.entry.timeZone ?? 'UTC');
    const timesChanged =
      JSON.stringify([next.start, next.end, next.recurrence]) !==
      JSON.stringify([stored.event.start, stored.event.end, stored.event.recurrence]);
    stored.seq = ++this.seq;
    stored.event = {
      ...next,
      id: stored.event.id,
      etag: this.etagFor(stored.seq),
      updated: this.nextUpdated(),
      sequence: (stored.event.sequence ?? 0) + (timesChanged ? 1 : 0),
    };
    return stored;
  }

  // --- handlers --------------------------------------------------------------------

  private listCalendarList(a: Authorized, req: FakeRequest): FakeResponse {
    if (req.query.has('syncToken'))
      throw new GoogleRuleError(
        400,
        'invalid',
        'calendarList sync tokens are not supported by the fake',
      );
    const maxResults = pageSize(req.query.get('maxResults'), 100, 250);
    const pageToken = req.query.get('pageToken');
    const items = pageToken
      ? this.takeCursor(pageToken, a.sub, '#calendarList')
      : [...this.userCalendars(a.sub).values()].map((c) => structuredClone(c.entry));
    const page = items.slice(0, maxResults);
    const body: Record<string, unknown> = {
      kind: 'calendar#calendarList',
      etag: this.nextEtag(),
      items: page,
    };
    if (items.length > maxResults)
      body.nextPageToken = this.putCursor({
        sub: a.sub,
        calendarId: '#calendarList',
        items: items.slice(maxResults),
      });
    return { status: 200, body };
  }

  private insertCalendar(a: Authorized, req: FakeRequest): FakeResponse {
    const body = (req.body ?? {}) as calendar_v3.Schema$Calendar;
    const calendar = this.createCalendar(a.sub, {
      summary: body.summary ?? '',
      description: body.description ?? undefined,
      timeZone: body.timeZone ?? undefined,
    });
    this.writeCounts['calendars.insert']++;
    return { status: 200, body: calendarResource(calendar) };
  }

  /** Patch semantics on summary, description and timeZone; only the owner may change a calendar. */
  private patchCalendar(a: Authorized, req: FakeRequest): FakeResponse {
    const calendar = this.calendarOf(a.sub, req.params.calendarId);
    if (calendar.entry.accessRole !== 'owner')
      throw new GoogleRuleError(403, 'forbidden', 'Forbidden');
    const body = (req.body ?? {}) as calendar_v3.Schema$Calendar;
    if (body.summary !== undefined) {
      if (!body.summary) throw new GoogleRuleError(400, 'required', 'Missing title.');
      calendar.entry.summary = body.summary;
    }
    if (body.description !== undefined) calendar.entry.description = body.description ?? undefined;
    if (body.timeZone) {
      assertTimeZone(body.timeZone);
      calendar.entry.timeZone = body.timeZone;
    }
    calendar.entry.etag = this.nextEtag();
    this.writeCounts['calendars.patch']++;
    return { status: 200, body: calendarResource(calendar) };
  }

  private listEvents(a: Authorized, req: FakeRequest): FakeResponse {
    const calendar = this.calendarOf(a.sub, req.params.calendarId);
    const calendarId = calendar.entry.id!;
    const q = req.query;
    const maxResults = pageSize(q.get('maxResults'), 250, 2500);
    if (q.get('singleEvents') === 'true') {
      throw new GoogleRuleError(
        400,
        'invalid',
        'singleEvents=true (recurrence expansion) is not supported by the fake',
      );
    }
    if (q.get('orderBy') === 'startTime') {
      throw new GoogleRuleError(
        400,
        'invalid',
        'The requested ordering is not available for the particular query.',
      );
    }

    const pageToken = q.get('pageToken');
    if (pageToken) {
      const cursor = this.cursors.get(pageToken);
      if (!cursor || cursor.sub !== a.sub || cursor.calendarId !== calendarId) {
        throw new GoogleRuleError(400, 'invalid', 'Invalid pageToken value.');
      }
      this.cursors.delete(pageToken);
      return this.eventsPage(
        calendar,
        cursor.items as FakeEvent[],
        maxResults,
        a.sub,
        cursor.nextSyncToken,
      );
    }

    const syncToken = q.get('syncToken');
    let items: FakeEvent[];
    if (syncToken) {
      const conflicting = [
        'timeMin',
        'timeMax',
        'updatedMin',
        'q',
        'orderBy',
        'iCalUID',
        'privateExtendedProperty',
        'sharedExtendedProperty',
      ].filter((p) => q.has(p));
      if (conflicting.length > 0) {
        throw new GoogleRuleError(
          400,
          'invalid',
          `syncToken cannot be combined with ${conflicting.join(', ')}`,
        );
      }
      const since = this.syncTokens.get(syncToken);
      if (!since || since.sub !== a.sub || since.calendarId !== calendarId) {
        throw new GoogleRuleError(
          410,
          'fullSyncRequired',
          'Sync token is no longer valid, a full sync is required.',
        );
      }
      const details = q.get('showDeleted') === 'true';
      items = [...calendar.events.values()]
        .filter((s) => s.seq > since.seq)
        .sort((x, y) => x.seq - y.seq)
        .map((s) =>
          s.event.status === 'cancelled' && !details
            ? deletedStub(s.event)
            : structuredClone(s.event),
        );
    } else {
      items = this.filterFull(calendar, q);
    }
    const nextSyncToken = this.issueSyncToken(a.sub, calendarId);
    return this.eventsPage(calendar, items, maxResults, a.sub, nextSyncToken);
  }

  private filterFull(calendar: StoredCalendar, q: URLSearchParams): FakeEvent[] {
    const zone = calendar.entry.timeZone ?? 'UTC';
    const timeMin = q.has('timeMin') ? parseQueryTime('timeMin', q.get('timeMin')!) : undefined;
    const timeMax = q.has('timeMax') ? parseQueryTime('timeMax', q.get('timeMax')!) : undefined;
    const updatedMin = q.has('updatedMin')
      ? parseQueryTime('updatedMin', q.get('updatedMin')!)
      : undefined;
    if (timeMin !== undefined && timeMax !== undefined && timeMax <= timeMin) {
      throw new GoogleRuleError(400, 'timeRangeEmpty', 'The specified time range is empty.');
    }
    const showDeleted = q.get('showDeleted') === 'true' || updatedMin !== undefined;
    const text = q.get('q')?.toLowerCase();
    const iCalUID = q.get('iCalUID');
    const privateProps = q.getAll('privateExtendedProperty').map(splitProperty);
    const sharedProps = q.getAll('sharedExtendedProperty').map(splitProperty);

    const out = [...calendar.events.values()]
      .map((s) => s.event)
      .filter((e) => {
        if (e.status === 'cancelled' && !showDeleted) return false;
        if (timeMin !== undefined && seriesEndOf(e, zone) <= timeMin) return false;
        if (timeMax !== undefined && instantOf(e.start!, zone, 'start') >= timeMax) return false;
        if (updatedMin !== undefined && Date.parse(e.updated!) < updatedMin) return false;
        if (iCalUID && e.iCalUID !== iCalUID) return false;
        if (
          text &&
          ![e.summary, e.description, e.location].some((f) => f?.toLowerCase().includes(text))
        )
          return false;
        if (privateProps.some(([k, v]) => e.extendedProperties?.private?.[k] !== v)) return false;
        if (sharedProps.some(([k, v]) => e.extendedProperties?.shared?.[k] !== v)) return false;
        return true;
      });
    if (q.get('orderBy') === 'updated')
      out.sort((x, y) => Date.parse(x.updated!) - Date.parse(y.updated!));
    return out.map((e) => structuredClone(e));
  }

  private eventsPage(
    calendar: StoredCalendar,
    items: FakeEvent[],
    maxResults: number,
    sub: string,
    nextSyncToken: string | undefined,
  ): FakeResponse {
    const body: Record<string, unknown> = {
      kind: 'calendar#events',
      etag: this.nextEtag(),
      summary: calendar.entry.summary,
      description: calendar.entry.description,
      updated: new Date(this.lastUpdated || Date.now()).toISOString(),
      timeZone: calendar.entry.timeZone,
      accessRole: 'owner',
      defaultReminders: [],
      items: items.slice(0, maxResults),
    };
    if (items.length > maxResults) {
      body.nextPageToken = this.putCursor({
        sub,
        calendarId: calendar.entry.id!,
        items: items.slice(maxResults),
        nextSyncToken,
      });
    } else {
      body.nextSyncToken = nextSyncToken;
    }
    return { status: 200, body };
  }

  private insertEvent(a: Authorized, req: FakeRequest): FakeResponse {
    const calendar = this.calendarOf(a.sub, req.params.calendarId);
    this.assertWritable(calendar);
    const stored = this.storeNewEvent(a.sub, calendar, req.body as FakeEvent);
    this.writeCounts['events.insert']++;
    return { status: 200, body: stored.event };
  }

  private patchEvent(a: Authorized, req: FakeRequest): FakeResponse {
    const { calendar, stored } = this.storedEvent(a.sub, req);
    const patch = req.body as FakeEvent | undefined;
    if (!patch || typeof patch !== 'object')
      throw new GoogleRuleError(400, 'badRequest', 'Bad Request');
    if (patch.id !== undefined && patch.id !== null && patch.id !== stored.event.id) {
      throw new GoogleRuleError(400, 'invalid', 'Invalid resource id value.');
    }
    this.assertWritable(calendar);
    this.checkIfMatch(req, stored);
    const updated = this.updateEvent(calendar, stored, applyPatch(stored.event, patch));
    this.writeCounts['events.patch']++;
    return { status: 200, body: updated.event };
  }

  private deleteEvent(a: Authorized, req: FakeRequest): FakeResponse {
    const { calendar, stored } = this.storedEvent(a.sub, req);
    this.assertWritable(calendar);
    if (stored.event.status === 'cancelled')
      throw new GoogleRuleError(410, 'deleted', 'Resource has been deleted');
    this.checkIfMatch(req, stored);
    this.updateEvent(calendar, stored, { ...stored.event, status: 'cancelled' });
    this.writeCounts['events.delete']++;
    return { status: 204 };
  }

  private assertWritable(calendar: StoredCalendar): void {
    if (calendar.entry.accessRole !== 'owner' && calendar.entry.accessRole !== 'writer') {
      throw new GoogleRuleError(
        403,
        'requiredAccessLevel',
        'You need to have writer access to this calendar.',
      );
    }
  }

  private checkIfMatch(req: FakeRequest, stored: StoredEvent): void {
    const ifMatch = req.headers['if-match'];
    if (typeof ifMatch === 'string' && ifMatch !== '*' && ifMatch !== stored.event.etag) {
      throw new GoogleRuleError(412, 'conditionNotMet', 'Precondition Failed');
    }
  }

  // --- tokens, cursors, clocks -----------------------------------------------------------

  private issueSyncToken(sub: string, calendarId: string): string {
    const token = `sync_${randomBytes(18).toString('base64url')}`;
    this.syncTokens.set(token, { sub, calendarId, seq: this.seq });
    return token;
  }

  private putCursor(cursor: Cursor): string {
    const token = `page_${randomBytes(18).toString('base64url')}`;
    this.cursors.set(token, cursor);
    return token;
  }

  private takeCursor(token: string, sub: string, calendarId: string): unknown[] {
    const cursor = this.cursors.get(token);
    if (!cursor || cursor.sub !== sub || cursor.calendarId !== calendarId) {
      throw new GoogleRuleError(400, 'invalid', 'Invalid pageToken value.');
    }
    this.cursors.delete(token);
    return cursor.items;
  }

  /** Strictly increasing, so "later edit wins" comparisons never see a tie inside the fake. */
  private nextUpdated(): string {
    this.lastUpdated = Math.max(Date.now(), this.lastUpdated + 1);
    return new Date(this.lastUpdated).toISOString();
  }

  private etagFor(seq: number): string {
    return `"${Date.now()}${String(seq).padStart(6, '0')}"`;
  }

  private nextEtag(): string {
    return this.etagFor(this.seq);
  }
}

export async function startGoogleCalendarFake(
  options: GoogleCalendarFakeOptions = {},
): Promise<GoogleCalendarFake> {
  const fake = new GoogleCalendarFake(options);
  await fake.listen(options.port ?? 0);
  return fake;
}

const FAULT_REASONS: Record<number, [string, string, string]> = {
  400: ['badRequest', 'Bad Request', 'global'],
  401: ['authError', 'Invalid Credentials', 'global'],
  403: ['rateLimitExceeded', 'Rate Limit Exceeded', 'usageLimits'],
  404: ['notFound', 'Not Found', 'global'],
  409: ['duplicate', 'The requested identifier already exists.', 'global'],
  410: ['fullSyncRequired', 'Sync token is no longer valid, a full sync is required.', 'global'],
  412: ['conditionNotMet', 'Precondition Failed', 'global'],
  429: ['rateLimitExceeded', 'Rate Limit Exceeded', 'usageLimits'],
  500: ['backendError', 'Backend Error', 'global'],
  503: ['backendError', 'Backend Error', 'global'],
};

function googleErrorBody(
  status: number,
  reason: string,
  message: string,
  domain = 'global',
): unknown {
  return { error: { code: status, message, errors: [{ domain, reason, message }] } };
}

function googleError(status: number, reason: string, message: string): FakeResponse {
  const domain =
    status === 403 && reason.toLowerCase().includes('limit') ? 'usageLimits' : 'global';
  return { status, body: googleErrorBody(status, reason, message, domain) };
}

/** What an incremental list may tell about a deleted event: Google guarantees only the id. */
function deletedStub(event: FakeEvent): FakeEvent {
  return { kind: event.kind, etag: event.etag, id: event.id, status: 'cancelled' };
}

function oauthError(status: number, error: string, description: string): FakeResponse {
  return { status, body: { error, error_description: description } };
}

function calendarResource(c: StoredCalendar): calendar_v3.Schema$Calendar {
  const { id, etag, summary, description, timeZone } = c.entry;
  return { kind: 'calendar#calendar', etag, id, summary, description, timeZone };
}

function decodeSegment(segment: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return value && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function pageSize(raw: string | null, fallback: number, max: number): number {
  if (raw === null) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1)
    throw new GoogleRuleError(400, 'invalid', `Invalid value for maxResults: ${raw}`);
  return Math.min(n, max);
}

function splitProperty(raw: string): [string, string] {
  const idx = raw.indexOf('=');
  if (idx <= 0)
    throw new GoogleRuleError(400, 'invalid', `Invalid extended property filter: ${raw}`);
  return [raw.slice(0, idx), raw.slice(idx + 1)];
}

/** Google's own ids are base32hex too. */
function randomEventId(): string {
  const alphabet = '0123456789abcdefghijklmnopqrstuv';
  return [...randomBytes(26)].map((b) => alphabet[b % 32]).join('');
}

function norm(email: string): string {
  return email.trim().toLowerCase();
}

function emptyWrites(): Record<GoogleWriteMethod, number> {
  return {
    'calendars.insert': 0,
    'calendars.patch': 0,
    'events.insert': 0,
    'events.patch': 0,
    'events.delete': 0,
  };
}
