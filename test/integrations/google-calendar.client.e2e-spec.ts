import { Global, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppConfig } from '../../src/config/app-config.js';
import {
  PermanentUpstreamError,
  TransientUpstreamError,
  UpstreamConflictError,
  UpstreamForbiddenError,
  UpstreamNotFoundError,
  ValidationError,
} from '../../src/core/errors/upstream.errors.js';
import { HubMetrics } from '../../src/core/metrics/hub-metrics.js';
import { GoogleCalendarClient } from '../../src/integrations/google-calendar/google-calendar.client.js';
import { GoogleCalendarModule } from '../../src/integrations/google-calendar/google-calendar.module.js';
import { eventIdFromFrNr } from '../../src/integrations/google-calendar/google-calendar.event-id.js';
import {
  EventChangedError,
  GoogleTokenError,
  SyncTokenExpiredError,
  type GoogleEvent,
} from '../../src/integrations/google-calendar/google-calendar.types.js';
import {
  GoogleCalendarFake,
  startGoogleCalendarFake,
} from '../fakes/google-calendar/google-calendar.fake.js';
import {
  googleEnv,
  makeGoogleTestCredentials,
  type GoogleTestCredentials,
} from '../fakes/google-calendar/google-credentials.js';
import { testConfig } from '../support/test-env.js';

const ANNA = 'anna.schmidt@kanzlei.example';
const BERT = 'bert.meier@kanzlei.example';
const EVENTS_ROUTE = 'GET /calendar/v3/calendars/:calendarId/events';
const WINDOW = { timeMin: '2025-01-01T00:00:00Z', timeMax: '2026-01-01T00:00:00Z' };

function timed(frNr: number, day: string, extra: GoogleEvent = {}): GoogleEvent {
  return {
    id: eventIdFromFrNr(frNr),
    summary: `Termin ${frNr}`,
    start: { dateTime: `${day}T09:00:00+02:00` },
    end: { dateTime: `${day}T10:00:00+02:00` },
    extendedProperties: { private: { advowareFrNr: String(frNr) } },
    ...extra,
  };
}

describe('GoogleCalendarClient against the Google Calendar fake (googleapis over HTTP)', () => {
  let credentials: GoogleTestCredentials;
  let fake: GoogleCalendarFake;
  let metrics: HubMetrics;
  let client: GoogleCalendarClient;

  const configFor = (overrides: Record<string, string> = {}): AppConfig =>
    testConfig(
      {},
      { ...googleEnv(credentials, fake.url), GOOGLE_RETRY_BASE_MS: '20', ...overrides },
    );

  beforeAll(async () => {
    credentials = makeGoogleTestCredentials();
    fake = await startGoogleCalendarFake({ publicKeyPem: credentials.publicKeyPem });
  });

  afterAll(async () => {
    await fake.close();
  });

  beforeEach(() => {
    fake.reset();
    fake.setFaults([]);
    fake.clearLog();
    metrics = new HubMetrics();
    client = new GoogleCalendarClient(configFor(), metrics);
  });

  describe('authentication', () => {
    it('impersonates the employee: the token is issued for that user and shows only their calendars', async () => {
      fake.addCalendar(BERT, { summary: 'Bert privat' });

      const calendars = await client.listCalendars(ANNA);

      expect(calendars.map((c) => c.id)).toEqual([ANNA]);
      expect(calendars[0].primary).toBe(true);
      expect(fake.tokenGrants).toEqual([
        expect.objectContaining({ sub: ANNA, scope: 'https://www.googleapis.com/auth/calendar' }),
      ]);
      const bert = await client.listCalendars(BERT);
      expect(bert.map((c) => c.summary)).toEqual([BERT, 'Bert privat']);
    });

    it('fetches one token per employee and reuses it for later calls', async () => {
      await client.listCalendars(ANNA);
      await client.listCalendars(ANNA);
      await client.listEventsFull(ANNA, 'primary', WINDOW);
      await client.listCalendars(BERT);

      expect(fake.tokenGrants.map((g) => g.sub)).toEqual([ANNA, BERT]);
    });

    it('authenticates again once when Google rejects a token it believed valid', async () => {
      await client.listCalendars(ANNA);
      fake.revokeTokens();

      await expect(client.listCalendars(ANNA)).resolves.toHaveLength(1);
      expect(fake.tokenGrants).toHaveLength(2);
    });

    it('renews an access token before it expires, so Google never sees an expired one', async () => {
      const shortLived = await startGoogleCalendarFake({
        publicKeyPem: credentials.publicKeyPem,
        tokenTtlSeconds: 1,
      });
      try {
        const renewing = new GoogleCalendarClient(
          testConfig({}, { ...googleEnv(credentials, shortLived.url), GOOGLE_RETRY_BASE_MS: '20' }),
          new HubMetrics(),
        );
        await renewing.listCalendars(ANNA);
        await new Promise((resolve) => setTimeout(resolve, 1100));

        await renewing.listCalendars(ANNA);

        expect(shortLived.tokenGrants).toHaveLength(2);
        expect(shortLived.requests.filter((r) => r.status === 401)).toEqual([]);
      } finally {
        await shortLived.close();
      }
    });

    it('fails with GoogleTokenError, without retrying, when the key does not match the service account', async () => {
      const otherKey = makeGoogleTestCredentials();
      const wrong = new GoogleCalendarClient(
        configFor({
          GOOGLE_SERVICE_ACCOUNT_PRIVATE_KEY: otherKey.privateKeyPem.replace(/\n/g, '\\n'),
        }),
        new HubMetrics(),
      );

      const err = await wrong.listCalendars(ANNA).catch((e: unknown) => e);

      expect(err).toBeInstanceOf(GoogleTokenError);
      expect((err as GoogleTokenError).reason).toBe('invalid_grant');
      expect(fake.count('POST', '/token')).toBe(1);
    });

    it('fails permanently without calling Google when no service account is configured', async () => {
      const unconfigured = new GoogleCalendarClient(
        testConfig(
          { google: fake.url },
          { CALENDAR_SYNC_ENABLED: 'false', GOOGLE_RETRY_BASE_MS: '20' },
        ),
        new HubMetrics(),
      );

      const err = await unconfigured.listCalendars(ANNA).catch((e: unknown) => e);

      expect(err).toBeInstanceOf(PermanentUpstreamError);
      expect((err as Error).message).toContain('not configured');
      expect(fake.requests).toHaveLength(0);
    });

    it('refuses a subject that is not an email address before calling Google', async () => {
      await expect(client.listCalendars('ANNA')).rejects.toBeInstanceOf(ValidationError);
      expect(fake.requests).toHaveLength(0);
    });
  });

  it('is provided by GoogleCalendarModule with the app-wide AppConfig and HubMetrics', async () => {
    const config = configFor();
    @Global()
    @Module({
      providers: [{ provide: AppConfig, useValue: config }, HubMetrics],
      exports: [AppConfig, HubMetrics],
    })
    class AppGlobals {}
    @Module({ imports: [AppGlobals, GoogleCalendarModule] })
    class Root {}
    const app = await NestFactory.createApplicationContext(Root, { logger: false });
    try {
      await expect(app.get(GoogleCalendarClient).listCalendars(ANNA)).resolves.toHaveLength(1);
    } finally {
      await app.close();
    }
  });

  describe('calendars', () => {
    it('creates a calendar that the list then finds by its description marker', async () => {
      const created = await client.insertCalendar(ANNA, {
        summary: 'Advoware AS',
        description: 'bitbylaw-hub:kuerzel=AS',
        timeZone: 'Europe/Berlin',
      });

      expect(created.id).toMatch(/@group\.calendar\.google\.com$/);
      const list = await client.listCalendars(ANNA);
      expect(list.find((c) => c.description === 'bitbylaw-hub:kuerzel=AS')).toMatchObject({
        id: created.id,
        summary: 'Advoware AS',
        timeZone: 'Europe/Berlin',
      });
      expect(fake.writes['calendars.insert']).toBe(1);
    });

    it('reads every page of a long calendar list', async () => {
      for (let i = 0; i < 260; i++) fake.addCalendar(ANNA, { summary: `Kalender ${i}` });

      const list = await client.listCalendars(ANNA);

      expect(list).toHaveLength(261);
      expect(fake.count('GET', '/calendar/v3/users/me/calendarList')).toBe(2);
    });
  });

  describe('listing events', () => {
    it('reads a full window across pages and returns the sync token of the last page', async () => {
      const calendarId = fake.addCalendar(ANNA, {
        summary: 'Advoware AS',
        timeZone: 'Europe/Berlin',
      });
      for (let i = 1; i <= 250; i++) fake.addEvent(ANNA, calendarId, timed(i, '2025-06-02'));
      fake.addEvent(ANNA, calendarId, timed(900, '2024-06-02'));
      fake.cancelEvent(
        ANNA,
        calendarId,
        fake.addEvent(ANNA, calendarId, timed(901, '2025-06-03')).id!,
      );

      const { events, nextSyncToken } = await client.listEventsFull(ANNA, calendarId, {
        ...WINDOW,
        maxResults: 100,
      });

      expect(events).toHaveLength(250);
      expect(new Set(events.map((e) => e.id)).size).toBe(250);
      expect(events.every((e) => e.status === 'confirmed')).toBe(true);
      expect(nextSyncToken).toMatch(/^sync_/);
      expect(fake.count('GET', '/calendar/v3/calendars/:calendarId/events')).toBe(3);
      const query = new URLSearchParams(
        fake.requests.find((r) => r.route.endsWith('/events'))!.query,
      );
      expect(query.get('singleEvents')).toBe('false');
      expect(query.get('showDeleted')).toBe('false');
      expect(query.get('timeMin')).toBe(WINDOW.timeMin);
    });

    it('returns only what changed since the sync token, deletions as cancelled', async () => {
      const calendarId = fake.addCalendar(ANNA, { summary: 'Advoware AS' });
      for (const frNr of [1, 2, 3]) fake.addEvent(ANNA, calendarId, timed(frNr, '2025-06-02'));
      const full = await client.listEventsFull(ANNA, calendarId, WINDOW);

      fake.editEvent(ANNA, calendarId, eventIdFromFrNr(1), { summary: 'verlegt' });
      fake.cancelEvent(ANNA, calendarId, eventIdFromFrNr(2));
      fake.addEvent(ANNA, calendarId, {
        summary: 'in Google angelegt',
        ...timed(0, '2025-06-05'),
        id: undefined,
      });

      const changes = await client.listEventsIncremental(ANNA, calendarId, full.nextSyncToken);

      expect(changes.events).toHaveLength(3);
      expect(changes.events.find((e) => e.id === eventIdFromFrNr(1))).toMatchObject({
        summary: 'verlegt',
      });
      expect(changes.events.find((e) => e.id === eventIdFromFrNr(2))).toMatchObject({
        status: 'cancelled',
      });
      expect(changes.events.some((e) => e.id === eventIdFromFrNr(3))).toBe(false);
      expect(changes.nextSyncToken).not.toBe(full.nextSyncToken);

      const nothing = await client.listEventsIncremental(ANNA, calendarId, changes.nextSyncToken);
      expect(nothing.events).toEqual([]);
      const last = new URLSearchParams(fake.requests[fake.requests.length - 1].query);
      expect(last.has('showDeleted')).toBe(false);
      expect(last.has('timeMin')).toBe(false);
    });

    it('pages through a long list of changes', async () => {
      const calendarId = fake.addCalendar(ANNA, { summary: 'Advoware AS' });
      const full = await client.listEventsFull(ANNA, calendarId, WINDOW);
      for (let i = 1; i <= 30; i++) fake.addEvent(ANNA, calendarId, timed(i, '2025-07-01'));

      const changes = await client.listEventsIncremental(ANNA, calendarId, full.nextSyncToken, {
        maxResults: 10,
      });

      expect(changes.events).toHaveLength(30);
      expect(fake.count('GET', '/calendar/v3/calendars/:calendarId/events')).toBe(1 + 3);
    });

    it('throws SyncTokenExpiredError on 410 so the caller runs a full sync', async () => {
      const calendarId = fake.addCalendar(ANNA, { summary: 'Advoware AS' });
      const full = await client.listEventsFull(ANNA, calendarId, WINDOW);
      fake.expireSyncTokens();

      const err = await client
        .listEventsIncremental(ANNA, calendarId, full.nextSyncToken)
        .catch((e: unknown) => e);

      expect(err).toBeInstanceOf(SyncTokenExpiredError);
      expect((err as SyncTokenExpiredError).transient).toBe(false);
      expect(fake.count('GET', '/calendar/v3/calendars/:calendarId/events')).toBe(2);
      await expect(client.listEventsFull(ANNA, calendarId, WINDOW)).resolves.toMatchObject({
        events: [],
      });
    });
  });

  describe('writing events', () => {
    it('inserts under the caller-chosen id derived from frNr', async () => {
      const calendarId = fake.addCalendar(ANNA, { summary: 'Advoware AS' });

      const created = await client.insertEvent(ANNA, calendarId, timed(4711, '2025-06-02'));

      expect(created.id).toBe('adv04711');
      expect(created.etag).toBeTruthy();
      expect(fake.event(ANNA, calendarId, 'adv04711')).toMatchObject({
        summary: 'Termin 4711',
        extendedProperties: { private: { advowareFrNr: '4711' } },
      });
      await expect(client.getEvent(ANNA, calendarId, 'adv04711')).resolves.toMatchObject({
        id: 'adv04711',
      });
    });

    it('answers a second insert of the same id with UpstreamConflictError, also after the event was deleted', async () => {
      const calendarId = fake.addCalendar(ANNA, { summary: 'Advoware AS' });
      await client.insertEvent(ANNA, calendarId, timed(4711, '2025-06-02'));

      await expect(
        client.insertEvent(ANNA, calendarId, timed(4711, '2025-06-02')),
      ).rejects.toBeInstanceOf(UpstreamConflictError);
      await client.deleteEvent(ANNA, calendarId, 'adv04711');
      await expect(
        client.insertEvent(ANNA, calendarId, timed(4711, '2025-06-02')),
      ).rejects.toBeInstanceOf(UpstreamConflictError);
      expect(fake.writes['events.insert']).toBe(1);
    });

    it('brings a cancelled event back by patching its status', async () => {
      const calendarId = fake.addCalendar(ANNA, { summary: 'Advoware AS' });
      await client.insertEvent(ANNA, calendarId, timed(4711, '2025-06-02'));
      fake.cancelEvent(ANNA, calendarId, 'adv04711');

      const restored = await client.patchEvent(ANNA, calendarId, 'adv04711', {
        status: 'confirmed',
      });

      expect(restored.status).toBe('confirmed');
    });

    it('refuses an event without a valid base32hex id before calling Google', async () => {
      const calendarId = fake.addCalendar(ANNA, { summary: 'Advoware AS' });

      await expect(
        client.insertEvent(ANNA, calendarId, { ...timed(1, '2025-06-02'), id: 'adv0-1' }),
      ).rejects.toBeInstanceOf(ValidationError);
      await expect(
        client.insertEvent(ANNA, calendarId, { ...timed(1, '2025-06-02'), id: undefined }),
      ).rejects.toBeInstanceOf(ValidationError);
      expect(fake.count('POST', '/calendar/v3/calendars/:calendarId/events')).toBe(0);
    });

    it('reports an unknown event as UpstreamNotFoundError', async () => {
      await expect(client.getEvent(ANNA, 'primary', 'adv09999')).rejects.toBeInstanceOf(
        UpstreamNotFoundError,
      );
    });

    it('patches content and removes a private property set to null', async () => {
      const calendarId = fake.addCalendar(ANNA, { summary: 'Advoware AS' });
      await client.insertEvent(ANNA, calendarId, {
        ...timed(4711, '2025-06-02'),
        extendedProperties: { private: { advowareFrNr: '4711', syncHash: 'abc' } },
      });

      const patched = await client.patchEvent(ANNA, calendarId, 'adv04711', {
        summary: 'Termin (verlegt)',
        extendedProperties: { private: { syncHash: null as unknown as string, note: 'x' } },
      });

      expect(patched.summary).toBe('Termin (verlegt)');
      expect(patched.extendedProperties?.private).toEqual({ advowareFrNr: '4711', note: 'x' });
      expect(patched.start).toEqual({ dateTime: '2025-06-02T09:00:00+02:00' });
    });

    it('writes with If-Match only while the etag is current, else EventChangedError', async () => {
      const calendarId = fake.addCalendar(ANNA, { summary: 'Advoware AS' });
      const created = await client.insertEvent(ANNA, calendarId, timed(4711, '2025-06-02'));
      fake.editEvent(ANNA, calendarId, 'adv04711', { summary: 'in Google geändert' });

      const err = await client
        .patchEvent(
          ANNA,
          calendarId,
          'adv04711',
          { summary: 'aus Advoware' },
          { ifMatch: created.etag! },
        )
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(EventChangedError);
      expect((err as EventChangedError).status).toBe(412);

      const current = await client.getEvent(ANNA, calendarId, 'adv04711');
      await expect(
        client.patchEvent(
          ANNA,
          calendarId,
          'adv04711',
          { summary: 'aus Advoware' },
          { ifMatch: current.etag! },
        ),
      ).resolves.toMatchObject({ summary: 'aus Advoware' });
    });

    it('deletes by cancelling, and treats an event already gone as success', async () => {
      const calendarId = fake.addCalendar(ANNA, { summary: 'Advoware AS' });
      await client.insertEvent(ANNA, calendarId, timed(4711, '2025-06-02'));

      await expect(client.deleteEvent(ANNA, calendarId, 'adv04711')).resolves.toBe(true);
      expect(fake.event(ANNA, calendarId, 'adv04711')?.status).toBe('cancelled');
      await expect(client.deleteEvent(ANNA, calendarId, 'adv04711')).resolves.toBe(false);
      await expect(client.deleteEvent(ANNA, calendarId, 'adv09999')).resolves.toBe(false);
      expect(fake.writes['events.delete']).toBe(1);
    });

    it('reports a calendar the employee may only read as UpstreamForbiddenError, without retrying', async () => {
      const calendarId = fake.addCalendar(ANNA, { summary: 'Geteilt' });
      fake.setAccessRole(ANNA, calendarId, 'reader');

      const err = await client
        .insertEvent(ANNA, calendarId, timed(1, '2025-06-02'))
        .catch((e: unknown) => e);

      expect(err).toBeInstanceOf(UpstreamForbiddenError);
      expect((err as UpstreamForbiddenError).reason).toBe('requiredAccessLevel');
      expect(fake.count('POST', '/calendar/v3/calendars/:calendarId/events')).toBe(1);
    });
  });

  describe('rate limits and failures', () => {
    it('backs off on 403 rateLimitExceeded twice, then succeeds, and counts each attempt once', async () => {
      fake.setFaults([{ route: EVENTS_ROUTE, status: 403, times: 2 }]);

      const result = await client.listEventsFull(ANNA, 'primary', WINDOW);

      expect(result.events).toEqual([]);
      expect(fake.count('GET', '/calendar/v3/calendars/:calendarId/events')).toBe(3);
      const text = await metrics.registry.getSingleMetricAsString(
        'hub_upstream_request_duration_seconds',
      );
      expect(text).toContain(
        'hub_upstream_request_duration_seconds_count{system="google",route="events.list",method="GET",status="403"} 2',
      );
      expect(text).toContain(
        'hub_upstream_request_duration_seconds_count{system="google",route="events.list",method="GET",status="200"} 1',
      );
    });

    it('backs off on 429 honouring Retry-After, then succeeds', async () => {
      fake.setFaults([{ route: EVENTS_ROUTE, status: 429, retryAfterSeconds: 1, times: 1 }]);
      const started = Date.now();

      await client.listEventsFull(ANNA, 'primary', WINDOW);

      expect(fake.count('GET', '/calendar/v3/calendars/:calendarId/events')).toBe(2);
      // Retry-After: 1 s, capped by the client at 16 × GOOGLE_RETRY_BASE_MS (320 ms here)
      expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    });

    it('gives up after five attempts with a TransientUpstreamError for the queue to retry later', async () => {
      fake.setFaults([{ route: 'POST /calendar/v3/calendars/:calendarId/events', status: 503 }]);

      const err = await client
        .insertEvent(ANNA, 'primary', timed(1, '2025-06-02'))
        .catch((e: unknown) => e);

      expect(err).toBeInstanceOf(TransientUpstreamError);
      expect((err as TransientUpstreamError).status).toBe(503);
      expect(fake.count('POST', '/calendar/v3/calendars/:calendarId/events')).toBe(5);
    });

    it('treats a lost insert answer as done: the retry meets 409 and the caller sees a conflict, not a duplicate', async () => {
      fake.setFaults([
        {
          route: 'POST /calendar/v3/calendars/:calendarId/events',
          status: 503,
          times: 1,
          applyThenFail: true,
        },
      ]);

      await expect(
        client.insertEvent(ANNA, 'primary', timed(1, '2025-06-02')),
      ).rejects.toBeInstanceOf(UpstreamConflictError);
      expect(fake.events(ANNA, 'primary')).toHaveLength(1);
    });

    it('gives up on a silent Google after GOOGLE_API_TIMEOUT_SECONDS and retries', async () => {
      const timeoutMetrics = new HubMetrics();
      const impatient = new GoogleCalendarClient(
        configFor({ GOOGLE_API_TIMEOUT_SECONDS: '1' }),
        timeoutMetrics,
      );
      await impatient.listCalendars(ANNA);
      fake.setFaults([{ route: EVENTS_ROUTE, timeoutRate: 1, times: 1 }]);

      await expect(impatient.listEventsFull(ANNA, 'primary', WINDOW)).resolves.toMatchObject({
        events: [],
      });

      expect(fake.count('GET', '/calendar/v3/calendars/:calendarId/events')).toBe(2);
      const text = await timeoutMetrics.registry.getSingleMetricAsString(
        'hub_upstream_request_duration_seconds',
      );
      expect(text).toContain('route="events.list",method="GET",status="timeout"} 1');
    });

    it('reports an unreachable Google as transient', async () => {
      const offline = new GoogleCalendarClient(
        testConfig(
          {},
          { ...googleEnv(credentials, 'http://127.0.0.1:9'), GOOGLE_RETRY_BASE_MS: '5' },
        ),
        new HubMetrics(),
      );

      await expect(offline.listCalendars(ANNA)).rejects.toBeInstanceOf(TransientUpstreamError);
    });

    it("slows one user down after Google's per-user quota refuses, waits instead of failing, and leaves others alone", async () => {
      // configured 30 per 1 s window, Google allows 10: a burst of 3, one every ~36 ms, then refusals
      fake.setQuota({ perWindow: 10, windowMs: 1_000 });
      try {
        const adaptive = new GoogleCalendarClient(
          configFor({ GOOGLE_RATE_LIMIT_PER_MINUTE: '1800', GOOGLE_QUOTA_WINDOW_SECONDS: '1' }),
          new HubMetrics(),
        );
        // the token first: requests queued behind a slow token fetch would all go out at once
        await adaptive.listCalendars(ANNA);
        const started = Date.now();
        const results = await Promise.all(
          Array.from({ length: 24 }, () => adaptive.listCalendars(ANNA)),
        );
        const took = Date.now() - started;
        const bertStarted = Date.now();
        await adaptive.listCalendars(BERT);
        const bertTook = Date.now() - bertStarted;

        expect(results).toHaveLength(24);
        expect(fake.refused(ANNA)).toBeGreaterThan(0);
        // only what was in flight when the first refusal came back; 15 of 25 were over the quota
        expect(fake.refused(ANNA)).toBeLessThanOrEqual(6);
        expect(fake.count('GET', '/calendar/v3/users/me/calendarList')).toBe(
          26 + fake.refused(ANNA),
        );
        expect(fake.refused(BERT)).toBe(0);
        // 24 more requests at 10 per second (one window already used) take over 1.5 s
        expect(took).toBeGreaterThanOrEqual(1_500);
        expect(bertTook).toBeLessThan(500);
      } finally {
        fake.setQuota(undefined);
      }
    });

    it('keeps each employee under the per-user request budget without slowing down others', async () => {
      // 120/min: a burst of 12, then one request every ~0.55 s
      const limited = new GoogleCalendarClient(
        configFor({ GOOGLE_RATE_LIMIT_PER_MINUTE: '120' }),
        new HubMetrics(),
      );
      const started = Date.now();
      await Promise.all(Array.from({ length: 12 }, () => limited.listCalendars(ANNA)));
      const burst = Date.now() - started;

      const otherStarted = Date.now();
      await limited.listCalendars(BERT);
      const other = Date.now() - otherStarted;

      await limited.listCalendars(ANNA);
      const total = Date.now() - started;

      expect(burst).toBeLessThan(450);
      expect(other).toBeLessThan(450);
      expect(total).toBeGreaterThanOrEqual(500);
      expect(fake.count('GET', '/calendar/v3/users/me/calendarList')).toBe(14);
      expect(fake.tokenGrants.filter((g) => g.sub === ANNA)).toHaveLength(1);
    });
  });
});
