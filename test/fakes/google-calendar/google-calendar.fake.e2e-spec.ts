import { sign } from 'node:crypto';
import {
  CALENDAR_EVENTS_SCOPE,
  CALENDAR_SCOPE,
  GOOGLE_TOKEN_AUDIENCE,
  GoogleCalendarFake,
  startGoogleCalendarFake,
  type FakeEvent,
} from './google-calendar.fake.js';
import { makeGoogleTestCredentials, type GoogleTestCredentials } from './google-credentials.js';

const ANNA = 'anna.schmidt@kanzlei.example';
const BERT = 'bert.meier@kanzlei.example';
const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

interface Answer {
  status: number;
  headers: Headers;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- assertions read arbitrary JSON
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

function event(
  id: string | undefined,
  start: string,
  end: string,
  extra: FakeEvent = {},
): FakeEvent {
  return {
    id,
    summary: `Termin ${id ?? ''}`,
    start: { dateTime: start },
    end: { dateTime: end },
    ...extra,
  };
}

describe('Google Calendar fake: the contract the client relies on', () => {
  let credentials: GoogleTestCredentials;
  let fake: GoogleCalendarFake;

  function assertion(
    claims: Record<string, unknown> = {},
    options: { key?: string; header?: Record<string, unknown> } = {},
  ): string {
    const now = Math.floor(Date.now() / 1000);
    const head = b64(options.header ?? { alg: 'RS256', typ: 'JWT' });
    const body = b64({
      iss: credentials.serviceAccountEmail,
      sub: ANNA,
      scope: CALENDAR_SCOPE,
      aud: GOOGLE_TOKEN_AUDIENCE,
      iat: now,
      exp: now + 3600,
      ...claims,
    });
    const signature = sign(
      'RSA-SHA256',
      Buffer.from(`${head}.${body}`),
      options.key ?? credentials.privateKeyPem,
    );
    return `${head}.${body}.${signature.toString('base64url')}`;
  }

  async function tokenCall(jwt: string, grantType = JWT_BEARER): Promise<Answer> {
    const res = await fetch(`${fake.url}/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: grantType, assertion: jwt }),
    });
    return { status: res.status, headers: res.headers, body: await res.json() };
  }

  async function tokenFor(sub: string, scope = CALENDAR_SCOPE): Promise<string> {
    const answer = await tokenCall(assertion({ sub, scope }));
    expect(answer.status).toBe(200);
    return answer.body.access_token as string;
  }

  async function call(
    method: string,
    path: string,
    options: {
      token?: string | null;
      body?: unknown;
      headers?: Record<string, string>;
      as?: string;
    } = {},
  ): Promise<Answer> {
    const token = options.token === undefined ? await tokenFor(options.as ?? ANNA) : options.token;
    const headers: Record<string, string> = { ...(options.headers ?? {}) };
    if (token) headers.Authorization = `Bearer ${token}`;
    if (options.body !== undefined) headers['Content-Type'] = 'application/json';
    const res = await fetch(`${fake.url}/calendar/v3${path}`, {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
  }

  const events = (calendarId: string, query = '') =>
    `/calendars/${encodeURIComponent(calendarId)}/events${query}`;
  const reasonOf = (a: Answer) => a.body?.error?.errors?.[0]?.reason as string | undefined;

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
  });

  describe('token endpoint (JWT bearer grant of a service account)', () => {
    it('issues a bearer token for an assertion signed with the service account key', async () => {
      const answer = await tokenCall(assertion());

      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({
        access_token: expect.any(String),
        expires_in: 3599,
        token_type: 'Bearer',
      });
      expect(fake.tokenGrants).toEqual([
        expect.objectContaining({ sub: ANNA, scope: CALENDAR_SCOPE }),
      ]);
    });

    it('rejects an assertion signed with another key (400 invalid_grant)', async () => {
      const other = makeGoogleTestCredentials();

      const answer = await tokenCall(assertion({}, { key: other.privateKeyPem }));

      expect(answer.status).toBe(400);
      expect(answer.body).toEqual({
        error: 'invalid_grant',
        error_description: 'Invalid JWT Signature.',
      });
    });

    it('rejects a payload changed after signing', async () => {
      const [head, payload, signature] = assertion().split('.');
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<
        string,
        unknown
      >;
      const forged = `${head}.${b64({ ...claims, sub: BERT })}.${signature}`;

      const answer = await tokenCall(forged);

      expect([answer.status, answer.body.error]).toEqual([400, 'invalid_grant']);
      expect(fake.tokenGrants).toEqual([]);
    });

    it.each([
      ['another issuer', { iss: 'someone@else.iam.gserviceaccount.com' }],
      ['another audience', { aud: 'http://127.0.0.1/token' }],
      ['an expired assertion', { exp: Math.floor(Date.now() / 1000) - 10 }],
      ['a lifetime over an hour', { exp: Math.floor(Date.now() / 1000) + 7200 }],
      ['an iat in the future', { iat: Math.floor(Date.now() / 1000) + 600 }],
    ])('rejects %s with 400 invalid_grant', async (_why, claims) => {
      const answer = await tokenCall(assertion(claims));

      expect(answer.status).toBe(400);
      expect(answer.body.error).toBe('invalid_grant');
    });

    it('rejects an unsigned assertion (alg none)', async () => {
      const jwt = assertion({}, { header: { alg: 'none' } });

      expect((await tokenCall(jwt)).body.error).toBe('invalid_grant');
    });

    it('requires impersonation and a scope the delegation grants (401 unauthorized_client)', async () => {
      const noSub = await tokenCall(assertion({ sub: undefined }));
      const gmail = await tokenCall(assertion({ scope: 'https://mail.google.com/' }));

      expect([noSub.status, noSub.body.error]).toEqual([401, 'unauthorized_client']);
      expect([gmail.status, gmail.body.error]).toEqual([401, 'unauthorized_client']);
    });

    it('accepts only the JWT bearer grant type', async () => {
      const answer = await tokenCall(assertion(), 'client_credentials');

      expect([answer.status, answer.body.error]).toEqual([400, 'unsupported_grant_type']);
    });

    it('refuses users outside knownSubjects when the fake is told who exists', async () => {
      const strict = await startGoogleCalendarFake({
        publicKeyPem: credentials.publicKeyPem,
        knownSubjects: [ANNA],
      });
      try {
        const post = (sub: string) =>
          fetch(`${strict.url}/token`, {
            method: 'POST',
            headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
            body: new URLSearchParams({ grant_type: JWT_BEARER, assertion: assertion({ sub }) }),
          });
        expect((await post(ANNA)).status).toBe(200);
        expect((await post(BERT)).status).toBe(400);
      } finally {
        await strict.close();
      }
    });
  });

  describe('bearer tokens on the API', () => {
    it('answers 401 without a bearer token', async () => {
      const answer = await call('GET', '/users/me/calendarList', { token: null });

      expect(answer.status).toBe(401);
      expect(answer.body.error).toMatchObject({
        code: 401,
        errors: [expect.objectContaining({ reason: 'required' })],
      });
    });

    it('answers 401 authError for an unknown or revoked token', async () => {
      const token = await tokenFor(ANNA);
      expect((await call('GET', '/users/me/calendarList', { token: 'ya29.made-up' })).status).toBe(
        401,
      );
      expect((await call('GET', '/users/me/calendarList', { token })).status).toBe(200);

      await fetch(`${fake.url}/__google/revoke-tokens`, { method: 'POST' });

      const revoked = await call('GET', '/users/me/calendarList', { token });
      expect([revoked.status, reasonOf(revoked)]).toEqual([401, 'authError']);
    });

    it('lets an events-only token touch events but not create calendars (403 insufficientPermissions)', async () => {
      const token = await tokenFor(ANNA, CALENDAR_EVENTS_SCOPE);

      expect((await call('GET', events('primary'), { token })).status).toBe(200);
      const denied = await call('POST', '/calendars', { token, body: { summary: 'x' } });
      expect([denied.status, reasonOf(denied)]).toEqual([403, 'insufficientPermissions']);
    });

    it("shows each impersonated user only their own calendars (another user's is 404)", async () => {
      const annas = fake.addCalendar(ANNA, { summary: 'Advoware AS' });

      const list = await call('GET', '/users/me/calendarList', { as: BERT });
      const peek = await call('GET', events(annas), { as: BERT });

      expect(list.body.items.map((c: { id: string }) => c.id)).toEqual([BERT]);
      expect([peek.status, reasonOf(peek)]).toEqual([404, 'notFound']);
    });
  });

  describe('calendars', () => {
    it('inserts a calendar that then appears in the calendar list; a title is required', async () => {
      const created = await call('POST', '/calendars', {
        body: { summary: 'Advoware AS', description: 'marker', timeZone: 'Europe/Berlin' },
      });
      const untitled = await call('POST', '/calendars', { body: { description: 'x' } });
      const list = await call('GET', '/users/me/calendarList');

      expect(created.status).toBe(200);
      expect(created.body).toMatchObject({
        kind: 'calendar#calendar',
        summary: 'Advoware AS',
        timeZone: 'Europe/Berlin',
      });
      expect([untitled.status, reasonOf(untitled)]).toEqual([400, 'required']);
      expect(list.body.items.map((c: { id: string }) => c.id)).toEqual([ANNA, created.body.id]);
      expect(fake.writes['calendars.insert']).toBe(1);
    });
  });

  describe('event writes', () => {
    it.each([
      ['too short', 'adv0'],
      ['outside base32hex', 'adv0w123'],
      ['upper case', 'ADV01234'],
      ['with a dash', 'adv0-1234'],
      ['too long', 'a'.repeat(1025)],
    ])('refuses an id that is %s with 400 invalid', async (_why, id) => {
      const answer = await call('POST', events('primary'), {
        body: event(id, '2025-06-02T09:00:00Z', '2025-06-02T10:00:00Z'),
      });

      expect([answer.status, reasonOf(answer)]).toEqual([400, 'invalid']);
      expect(fake.events(ANNA)).toEqual([]);
    });

    it('answers 409 duplicate for an id that exists, also once the event is cancelled', async () => {
      const body = event('adv04711', '2025-06-02T09:00:00Z', '2025-06-02T10:00:00Z');
      expect((await call('POST', events('primary'), { body })).status).toBe(200);

      const again = await call('POST', events('primary'), { body });
      fake.cancelEvent(ANNA, 'primary', 'adv04711');
      const afterDelete = await call('POST', events('primary'), { body });

      expect([again.status, reasonOf(again)]).toEqual([409, 'duplicate']);
      expect(again.body.error.message).toBe('The requested identifier already exists.');
      expect(afterDelete.status).toBe(409);
      expect(fake.writes['events.insert']).toBe(1);
    });

    it('stores what Google computes: etag, updated, status, iCalUID, organizer; a missing id gets a base32hex one', async () => {
      const answer = await call('POST', events('primary'), {
        body: {
          ...event(undefined, '2025-06-02T09:00:00Z', '2025-06-02T10:00:00Z'),
          etag: '"forged"',
        },
      });

      expect(answer.body).toMatchObject({
        kind: 'calendar#event',
        status: 'confirmed',
        id: expect.stringMatching(/^[a-v0-9]{26}$/),
        etag: expect.stringMatching(/^"\d+"$/),
        updated: expect.any(String),
        organizer: { email: ANNA, self: true },
      });
      expect(answer.body.etag).not.toBe('"forged"');
    });

    it.each([
      ['a missing end', { start: { dateTime: '2025-06-02T09:00:00Z' } }, 'required'],
      [
        'an end before the start',
        { start: { dateTime: '2025-06-02T10:00:00Z' }, end: { dateTime: '2025-06-02T09:00:00Z' } },
        'timeRangeEmpty',
      ],
      [
        'a date mixed with a dateTime',
        { start: { date: '2025-06-02' }, end: { dateTime: '2025-06-02T10:00:00Z' } },
        'invalid',
      ],
      [
        'a recurring timed event without time zones',
        {
          start: { dateTime: '2025-06-02T09:00:00+02:00' },
          end: { dateTime: '2025-06-02T10:00:00+02:00' },
          recurrence: ['RRULE:FREQ=WEEKLY'],
        },
        'required',
      ],
      [
        'a non-string private property',
        {
          start: { dateTime: '2025-06-02T09:00:00Z' },
          end: { dateTime: '2025-06-02T10:00:00Z' },
          extendedProperties: { private: { advowareFrNr: 4711 } },
        },
        'invalid',
      ],
    ])('refuses %s with 400', async (_why, body, reason) => {
      const answer = await call('POST', events('primary'), { body: { id: 'adv01', ...body } });

      expect([answer.status, reasonOf(answer)]).toEqual([400, reason]);
    });

    it('merges a patch, removes private keys set to null, and bumps etag and updated', async () => {
      const created = await call('POST', events('primary'), {
        body: event('adv04711', '2025-06-02T09:00:00Z', '2025-06-02T10:00:00Z', {
          description: 'Notiz',
          extendedProperties: { private: { advowareFrNr: '4711', syncHash: 'abc' } },
        }),
      });

      const patched = await call('PATCH', `${events('primary')}/adv04711`, {
        body: { summary: 'neu', extendedProperties: { private: { syncHash: null, extra: 'x' } } },
      });

      expect(patched.status).toBe(200);
      expect(patched.body).toMatchObject({
        summary: 'neu',
        description: 'Notiz',
        start: created.body.start,
      });
      expect(patched.body.extendedProperties.private).toEqual({ advowareFrNr: '4711', extra: 'x' });
      expect(patched.body.etag).not.toBe(created.body.etag);
      expect(Date.parse(patched.body.updated)).toBeGreaterThan(Date.parse(created.body.updated));
      expect(fake.writes['events.patch']).toBe(1);
    });

    it('answers 412 when If-Match carries a stale etag and leaves the event untouched', async () => {
      const created = await call('POST', events('primary'), {
        body: event('adv04711', '2025-06-02T09:00:00Z', '2025-06-02T10:00:00Z'),
      });
      fake.editEvent(ANNA, 'primary', 'adv04711', { summary: 'vom Nutzer geändert' });

      const stale = await call('PATCH', `${events('primary')}/adv04711`, {
        body: { summary: 'aus Advoware' },
        headers: { 'If-Match': created.body.etag },
      });
      const staleDelete = await call('DELETE', `${events('primary')}/adv04711`, {
        headers: { 'If-Match': created.body.etag },
      });
      const current = fake.event(ANNA, 'primary', 'adv04711')!;
      const fresh = await call('PATCH', `${events('primary')}/adv04711`, {
        body: { summary: 'aus Advoware' },
        headers: { 'If-Match': current.etag! },
      });

      expect([stale.status, reasonOf(stale)]).toEqual([412, 'conditionNotMet']);
      expect(staleDelete.status).toBe(412);
      expect(current.summary).toBe('vom Nutzer geändert');
      expect(fresh.status).toBe(200);
    });

    it('deletes by cancelling: get still answers with status cancelled, a second delete is 410', async () => {
      await call('POST', events('primary'), {
        body: event('adv04711', '2025-06-02T09:00:00Z', '2025-06-02T10:00:00Z'),
      });

      const deleted = await call('DELETE', `${events('primary')}/adv04711`);
      const got = await call('GET', `${events('primary')}/adv04711`);
      const again = await call('DELETE', `${events('primary')}/adv04711`);
      const unknown = await call('DELETE', `${events('primary')}/adv09999`);

      expect(deleted.status).toBe(204);
      expect(got.body.status).toBe('cancelled');
      expect([again.status, reasonOf(again)]).toEqual([410, 'deleted']);
      expect([unknown.status, reasonOf(unknown)]).toEqual([404, 'notFound']);
      expect(fake.writes['events.delete']).toBe(1);
    });

    it('refuses writes to a calendar shared read-only (403 requiredAccessLevel)', async () => {
      const calendarId = fake.addCalendar(ANNA, { summary: 'Geteilt' });
      fake.setAccessRole(ANNA, calendarId, 'reader');

      const answer = await call('POST', events(calendarId), {
        body: event('adv01', '2025-06-02T09:00:00Z', '2025-06-02T10:00:00Z'),
      });

      expect([answer.status, reasonOf(answer)]).toEqual([403, 'requiredAccessLevel']);
    });
  });

  describe('event lists', () => {
    it('filters by end > timeMin and start < timeMax, hides cancelled events unless showDeleted', async () => {
      const calendarId = fake.addCalendar(ANNA, { summary: 'AS', timeZone: 'Europe/Berlin' });
      fake.addEvent(
        ANNA,
        calendarId,
        event('adv01', '2025-05-31T22:00:00Z', '2025-06-01T00:00:00Z'),
      ); // ends at timeMin
      fake.addEvent(
        ANNA,
        calendarId,
        event('adv02', '2025-05-31T23:00:00Z', '2025-06-01T01:00:00Z'),
      ); // overlaps timeMin
      fake.addEvent(
        ANNA,
        calendarId,
        event('adv03', '2025-06-30T23:00:00Z', '2025-07-01T01:00:00Z'),
      ); // starts before timeMax
      fake.addEvent(
        ANNA,
        calendarId,
        event('adv04', '2025-07-01T00:00:00Z', '2025-07-01T01:00:00Z'),
      ); // starts at timeMax
      fake.addEvent(ANNA, calendarId, {
        id: 'adv05',
        start: { date: '2025-07-01' },
        end: { date: '2025-07-02' },
      }); // Berlin midnight = 22:00Z
      fake.addEvent(
        ANNA,
        calendarId,
        event('adv06', '2025-06-10T09:00:00Z', '2025-06-10T10:00:00Z'),
      );
      fake.cancelEvent(ANNA, calendarId, 'adv06');
      const window = '?timeMin=2025-06-01T00:00:00Z&timeMax=2025-07-01T00:00:00Z';

      const live = await call('GET', events(calendarId, window));
      const all = await call('GET', events(calendarId, `${window}&showDeleted=true`));

      expect(live.body.items.map((e: FakeEvent) => e.id).sort()).toEqual([
        'adv02',
        'adv03',
        'adv05',
      ]);
      expect(all.body.items.map((e: FakeEvent) => e.id).sort()).toEqual([
        'adv02',
        'adv03',
        'adv05',
        'adv06',
      ]);
    });

    it('pages with maxResults and pageToken; nextSyncToken only on the last page; 250 by default', async () => {
      for (let i = 1; i <= 260; i++) {
        fake.addEvent(
          ANNA,
          'primary',
          event(`adv0${i}`, '2025-06-02T09:00:00Z', '2025-06-02T10:00:00Z'),
        );
      }
      const token = await tokenFor(ANNA);

      const first = await call('GET', events('primary', '?maxResults=100'), { token });
      const second = await call(
        'GET',
        events('primary', `?maxResults=100&pageToken=${first.body.nextPageToken}`),
        { token },
      );
      const third = await call(
        'GET',
        events('primary', `?maxResults=100&pageToken=${second.body.nextPageToken}`),
        { token },
      );
      const byDefault = await call('GET', events('primary'), { token });

      expect([first.body.items.length, second.body.items.length, third.body.items.length]).toEqual([
        100, 100, 60,
      ]);
      expect(first.body.nextSyncToken).toBeUndefined();
      expect(second.body.nextSyncToken).toBeUndefined();
      expect(third.body.nextPageToken).toBeUndefined();
      expect(third.body.nextSyncToken).toEqual(expect.any(String));
      const ids = [...first.body.items, ...second.body.items, ...third.body.items].map(
        (e: FakeEvent) => e.id,
      );
      expect(new Set(ids).size).toBe(260);
      expect(byDefault.body.items).toHaveLength(250);
    });

    it('returns only changes since the sync token, with deletions as cancelled', async () => {
      fake.addEvent(
        ANNA,
        'primary',
        event('adv01', '2025-06-02T09:00:00Z', '2025-06-02T10:00:00Z'),
      );
      fake.addEvent(
        ANNA,
        'primary',
        event('adv02', '2025-06-03T09:00:00Z', '2025-06-03T10:00:00Z'),
      );
      const token = await tokenFor(ANNA);
      const full = await call('GET', events('primary', '?timeMin=2025-01-01T00:00:00Z'), { token });

      fake.cancelEvent(ANNA, 'primary', 'adv01');
      fake.addEvent(
        ANNA,
        'primary',
        event('adv03', '2025-06-04T09:00:00Z', '2025-06-04T10:00:00Z'),
      );
      const changes = await call(
        'GET',
        events('primary', `?syncToken=${full.body.nextSyncToken}`),
        { token },
      );

      expect(changes.status).toBe(200);
      expect(changes.body.items.map((e: FakeEvent) => [e.id, e.status])).toEqual([
        ['adv01', 'cancelled'],
        ['adv03', 'confirmed'],
      ]);
      expect(changes.body.nextSyncToken).toEqual(expect.any(String));
    });

    it('tells only the id and status of a deleted event in an incremental list, unless showDeleted=true', async () => {
      fake.addEvent(ANNA, 'primary', {
        ...event('adv01', '2025-06-02T09:00:00Z', '2025-06-02T10:00:00Z'),
        extendedProperties: { private: { advowareFrNr: '1' } },
      });
      const token = await tokenFor(ANNA);
      const full = await call('GET', events('primary'), { token });
      fake.cancelEvent(ANNA, 'primary', 'adv01');

      const plain = await call('GET', events('primary', `?syncToken=${full.body.nextSyncToken}`), {
        token,
      });
      const hidden = await call(
        'GET',
        events('primary', `?syncToken=${full.body.nextSyncToken}&showDeleted=false`),
        {
          token,
        },
      );
      const detailed = await call(
        'GET',
        events('primary', `?syncToken=${full.body.nextSyncToken}&showDeleted=true`),
        {
          token,
        },
      );

      expect(plain.body.items).toEqual([
        { kind: 'calendar#event', etag: expect.any(String), id: 'adv01', status: 'cancelled' },
      ]);
      expect(hidden.body.items).toEqual(plain.body.items);
      expect(detailed.body.items[0]).toMatchObject({
        id: 'adv01',
        status: 'cancelled',
        summary: 'Termin adv01',
      });
    });

    it.each([
      'timeMin=2025-01-01T00:00:00Z',
      'timeMax=2026-01-01T00:00:00Z',
      'updatedMin=2025-01-01T00:00:00Z',
      'orderBy=updated',
      'q=Termin',
      'privateExtendedProperty=advowareFrNr%3D1',
    ])('refuses a sync token combined with %s (400)', async (param) => {
      const token = await tokenFor(ANNA);
      const full = await call('GET', events('primary'), { token });

      const answer = await call(
        'GET',
        events('primary', `?syncToken=${full.body.nextSyncToken}&${param}`),
        { token },
      );

      expect(answer.status).toBe(400);
      expect(answer.body.error.code).toBe(400);
    });

    it('answers 410 fullSyncRequired for an unknown token and for every token after expire-sync-tokens', async () => {
      const token = await tokenFor(ANNA);
      const full = await call('GET', events('primary'), { token });
      const unknown = await call('GET', events('primary', '?syncToken=sync_made_up'), { token });

      const expired = await fetch(`${fake.url}/__google/expire-sync-tokens`, { method: 'POST' });
      const old = await call('GET', events('primary', `?syncToken=${full.body.nextSyncToken}`), {
        token,
      });

      expect([unknown.status, reasonOf(unknown)]).toEqual([410, 'fullSyncRequired']);
      expect(expired.status).toBe(200);
      expect([old.status, reasonOf(old)]).toEqual([410, 'fullSyncRequired']);
    });

    it('finds events by private extended property', async () => {
      fake.addEvent(ANNA, 'primary', {
        ...event('adv01', '2025-06-02T09:00:00Z', '2025-06-02T10:00:00Z'),
        extendedProperties: { private: { advowareFrNr: '1' } },
      });
      fake.addEvent(
        ANNA,
        'primary',
        event('adv02', '2025-06-02T09:00:00Z', '2025-06-02T10:00:00Z'),
      );

      const answer = await call(
        'GET',
        events('primary', '?privateExtendedProperty=advowareFrNr%3D1'),
      );

      expect(answer.body.items.map((e: FakeEvent) => e.id)).toEqual(['adv01']);
    });

    it('does not pretend to expand recurring events (singleEvents=true is 400)', async () => {
      const answer = await call('GET', events('primary', '?singleEvents=true'));

      expect(answer.status).toBe(400);
    });
  });

  describe('faults and control API', () => {
    it('makes an injected 403 look like Google rate limiting', async () => {
      fake.setFaults([
        { route: 'GET /calendar/v3/calendars/:calendarId/events', status: 403, times: 1 },
      ]);

      const limited = await call('GET', events('primary'));
      const after = await call('GET', events('primary'));

      expect(limited.status).toBe(403);
      expect(limited.body).toEqual({
        error: {
          code: 403,
          message: 'Rate Limit Exceeded',
          errors: [
            { domain: 'usageLimits', reason: 'rateLimitExceeded', message: 'Rate Limit Exceeded' },
          ],
        },
      });
      expect(after.status).toBe(200);
    });

    it('answers an injected 429 with Retry-After and a rateLimitExceeded body', async () => {
      fake.setFaults([
        {
          route: 'GET /calendar/v3/calendars/:calendarId/events',
          status: 429,
          retryAfterSeconds: 7,
          times: 1,
        },
      ]);

      const answer = await call('GET', events('primary'));

      expect(answer.status).toBe(429);
      expect(answer.headers.get('retry-after')).toBe('7');
      expect(reasonOf(answer)).toBe('rateLimitExceeded');
    });

    it("enforces a per-user quota set through POST /__google/quota with Google's 403 userRateLimitExceeded, and counts the refusals", async () => {
      const annaToken = await tokenFor(ANNA);
      const bertToken = await tokenFor(BERT);
      const set = await fetch(`${fake.url}/__google/quota`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ perWindow: 2, windowMs: 400 }),
      });
      expect(set.status).toBe(200);
      try {
        const anna = [];
        for (let i = 0; i < 4; i++)
          anna.push(await call('GET', events('primary'), { token: annaToken }));
        const bert = await call('GET', events('primary'), { token: bertToken });

        expect(anna.map((a) => a.status)).toEqual([200, 200, 403, 403]);
        expect(anna[2].body).toEqual({
          error: {
            code: 403,
            message: 'User Rate Limit Exceeded',
            errors: [
              {
                domain: 'usageLimits',
                reason: 'userRateLimitExceeded',
                message: 'User Rate Limit Exceeded',
              },
            ],
          },
        });
        expect(anna[2].headers.get('retry-after')).toBeNull();
        expect(bert.status).toBe(200);
        expect(fake.refused(ANNA)).toBe(2);
        expect(fake.refused(BERT)).toBe(0);
        const shown = (await (await fetch(`${fake.url}/__google/quota`)).json()) as unknown;
        expect(shown).toEqual({
          quota: { perWindow: 2, windowMs: 400 },
          refused: { [ANNA]: 2 },
        });

        // refusals take no quota: polling every 50 ms would otherwise keep the 400 ms window full
        const deadline = Date.now() + 3_000;
        let next = await call('GET', events('primary'), { token: annaToken });
        while (next.status === 403 && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 50));
          next = await call('GET', events('primary'), { token: annaToken });
        }
        expect(next.status).toBe(200);
      } finally {
        await fetch(`${fake.url}/__google/quota`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: '{}',
        });
      }
      expect((await call('GET', events('primary'), { token: annaToken })).status).toBe(200);
    });

    it('loads users, calendars and events through POST /__fake/seed and shows them in GET /__fake/state', async () => {
      const seeded = await fetch(`${fake.url}/__fake/seed`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({
          users: {
            [ANNA]: {
              primary: [event('adv01', '2025-06-02T09:00:00Z', '2025-06-02T10:00:00Z')],
              calendars: [
                {
                  id: 'as@group.calendar.google.com',
                  summary: 'Advoware AS',
                  events: [event('adv02', '2025-06-02T09:00:00Z', '2025-06-02T10:00:00Z')],
                },
              ],
            },
          },
        }),
      });
      const bad = await fetch(`${fake.url}/__fake/seed`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({
          users: { [BERT]: { primary: [{ id: 'x', summary: 'no times' }] } },
        }),
      });
      const state = (await (await fetch(`${fake.url}/__fake/state`)).json()) as {
        users: Record<string, { calendars: Array<{ id: string; events: FakeEvent[] }> }>;
      };

      expect(seeded.status).toBe(200);
      expect(bad.status).toBe(400);
      expect(state.users[ANNA].calendars.map((c) => [c.id, c.events.map((e) => e.id)])).toEqual([
        [ANNA, ['adv01']],
        ['as@group.calendar.google.com', ['adv02']],
      ]);
      expect(fake.events(ANNA)).toHaveLength(2);
      expect(fake.writeCount).toBe(0);

      await fetch(`${fake.url}/__fake/reset`, { method: 'POST' });
      expect(fake.events(ANNA)).toEqual([]);
    });

    it('makes its own key pair when started without a public key', async () => {
      const selfKeyed = await startGoogleCalendarFake();
      try {
        expect(selfKeyed.credentials?.privateKeyPem).toContain('BEGIN PRIVATE KEY');
        expect(selfKeyed.serviceAccountEmail).toBe(selfKeyed.credentials?.serviceAccountEmail);
      } finally {
        await selfKeyed.close();
      }
    });
  });
});
