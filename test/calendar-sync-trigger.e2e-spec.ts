import { Redis } from 'ioredis';
import { CalendarTopics } from '../src/calendar-sync/calendar.jobs.js';
import { CalendarSyncService, calendarMarker } from '../src/calendar-sync/calendar-sync.service.js';
import { JobProducer } from '../src/core/queue/job-producer.service.js';
import type { AdvowareTermin } from '../src/integrations/advoware/advoware.types.js';
import {
  ADVOWARE_TOKEN_PATH,
  type AdvowareFake,
  startAdvowareFake,
} from './fakes/advoware/advoware.fake.js';
import {
  type GoogleCalendarFake,
  startGoogleCalendarFake,
} from './fakes/google-calendar/google-calendar.fake.js';
import {
  googleEnv,
  makeGoogleTestCredentials,
} from './fakes/google-calendar/google-credentials.js';
import { type RunningHub, startHub, waitFor } from './support/hub.js';
import { testEnv } from './support/test-env.js';

function day(n: number): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Berlin' }).format(
    new Date(Date.now() + n * 86_400_000),
  );
}

const MS = { kuerzel: 'MS', name: 'Schulz', email: 'm.schulz@kanzlei.example', aktiv: true };
const AB = { kuerzel: 'AB', name: 'Becker', email: 'a.becker@kanzlei.example', aktiv: true };
/** Google refuses to impersonate this one (delegation not granted): its job fails for good. */
const XY = { kuerzel: 'XY', name: 'Extern', email: 'x.y@elsewhere.example', aktiv: true };
const OLD = { kuerzel: 'OL', name: 'Ehemalig', email: 'old@kanzlei.example', aktiv: false };

/** Trigger, queue, lock and read-only rules, with CALENDAR_ADVOWARE_WRITE_ALLOWED=false. */
describe('CalendarSync triggers and read-only Advoware', () => {
  let advoware: AdvowareFake;
  let google: GoogleCalendarFake;
  let hub: RunningHub;
  let sync: CalendarSyncService;
  const redis = new Redis({ host: '127.0.0.1', port: 6379 });
  const creds = makeGoogleTestCredentials();

  const calendarOf = (email: string, kuerzel: string) =>
    google.calendars(email).find((c) => c.description?.includes(calendarMarker(kuerzel)))?.id ??
    undefined;
  const addTermin = (t: Partial<AdvowareTermin>) =>
    advoware.addTermin({
      kuerzel: 'MS',
      dauertermin: false,
      uhrzeitVon: '10:00:00',
      uhrzeitBis: '11:00:00',
      ...t,
    });
  const post = (body: unknown, headers: Record<string, string> = {}) =>
    hub.ops('/advoware/calendar/sync', { method: 'POST', body: JSON.stringify(body), headers });
  const queue = () => hub.app.get(JobProducer).queueFor(CalendarTopics.SyncEmployee);
  /** Completed jobs are removed from Bull, so "settled" is: nothing left to run and the expected failures. */
  async function settled(failed: number): Promise<void> {
    await waitFor(
      async () => {
        const c = await queue().getJobCounts();
        return c.failed >= failed && c.active === 0 && c.waiting === 0 && c.delayed === 0;
      },
      { what: `calendar jobs settled with ${failed} failure(s)`, timeoutMs: 15_000 },
    );
  }

  beforeAll(async () => {
    advoware = await startAdvowareFake();
    google = await startGoogleCalendarFake({
      publicKeyPem: creds.publicKeyPem,
      serviceAccountEmail: creds.serviceAccountEmail,
      knownSubjects: [MS.email, AB.email, OLD.email],
    });
    hub = await startHub(
      testEnv(
        {
          advoware: advoware.url,
          advowareAuth: `${advoware.url}${ADVOWARE_TOKEN_PATH}`,
          google: google.url,
        },
        {
          ...googleEnv(creds, google.url),
          CALENDAR_ADVOWARE_WRITE_ALLOWED: 'false',
          CALENDAR_SYNC_CRON: '0 0 3 1 1 *',
          GOOGLE_RATE_LIMIT_PER_MINUTE: '100000',
          GOOGLE_RETRY_BASE_MS: '20',
          WORKER_CONCURRENCY: '4',
        },
      ),
    );
    sync = hub.app.get(CalendarSyncService);
  });

  afterAll(async () => {
    await hub?.close();
    await advoware?.close();
    await google?.close();
    redis.disconnect();
  });

  beforeEach(async () => {
    advoware.reset();
    google.reset();
    google.clearLog();
    advoware.seed({ mitarbeiter: [MS, AB, XY, OLD] });
    await queue().clean(0, 'completed');
    await queue().clean(0, 'failed');
    const keys = await redis.keys(`${hub.config.queue.prefix}:calendar_sync:*`);
    if (keys.length > 0) await redis.del(...keys);
  });

  it('refuses a trigger without the ops key or with a bad body, and 404s an unknown or inactive kuerzel', async () => {
    expect(
      (await post({ kuerzel: 'ALL', full_content: true }, { 'X-Api-Key': 'wrong' })).status,
    ).toBe(401);
    expect((await post({ kuerzel: 'ALL', full_content: 'yes' })).status).toBe(400);
    expect((await post({ kuerzel: 'A B', full_content: true })).status).toBe(400);
    expect((await post({ kuerzel: 'ZZ', full_content: true })).status).toBe(404);
    expect((await post({ kuerzel: 'OL', full_content: true })).status).toBe(404);
  });

  it('runs one job per employee; one failing employee does not stop the others', async () => {
    addTermin({ datum: day(1), text: 'MS 1' });
    advoware.addTermin({
      kuerzel: 'AB',
      datum: day(2),
      uhrzeitVon: '08:00:00',
      uhrzeitBis: '09:00:00',
      text: 'AB 1',
    });
    advoware.addTermin({ kuerzel: 'XY', datum: day(2), text: 'XY 1' });
    const res = await post({ kuerzel: 'ALL', full_content: true });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'triggered', kuerzel: 'ALL', jobs: 3 });
    await settled(1);

    const failed = await queue().getFailed();
    expect(failed.map((j) => (j.data as { kuerzel: string }).kuerzel)).toEqual(['XY']);
    expect(google.events(MS.email, calendarOf(MS.email, 'MS')).map((e) => e.summary)).toEqual([
      'MS 1',
    ]);
    expect(google.events(AB.email, calendarOf(AB.email, 'AB')).map((e) => e.summary)).toEqual([
      'AB 1',
    ]);
  }, 30_000);

  it('defaults like the old endpoint: no body is kuerzel ALL with full content, and {kuerzel} alone is full content', async () => {
    addTermin({ datum: day(1), text: 'Voller Inhalt' });
    const res = await hub.ops('/advoware/calendar/sync', { method: 'POST' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'triggered', kuerzel: 'ALL', jobs: 3 });
    await settled(1);
    expect(google.events(MS.email, calendarOf(MS.email, 'MS')).map((e) => e.summary)).toEqual([
      'Voller Inhalt',
    ]);
    expect(calendarOf(AB.email, 'AB')).toBeDefined();

    const empty = await post({});
    expect(await empty.json()).toEqual({ status: 'triggered', kuerzel: 'ALL', jobs: 3 });
    await settled(2);

    google.resetWriteCounts();
    advoware.putTermin(advoware.termine('MS')[0].frNr, { text: 'Geändert' });
    const one = await post({ kuerzel: 'MS' });
    expect(await one.json()).toEqual({ status: 'triggered', kuerzel: 'MS', jobs: 1 });
    await settled(2);
    expect(google.events(MS.email, calendarOf(MS.email, 'MS')).map((e) => e.summary)).toEqual([
      'Geändert',
    ]);
  }, 30_000);

  it('runs the cron step as one job per active employee', async () => {
    addTermin({ datum: day(1), text: 'Cron MS' });
    const res = await hub.ops('/_console/cron/trigger', {
      method: 'POST',
      body: JSON.stringify({ function_id: 'calendar-sync-cron' }),
    });
    expect(res.status).toBeLessThan(300);
    await waitFor(() => calendarOf(AB.email, 'AB') !== undefined, { what: 'the AB calendar' });
    await settled(1);
    expect(google.events(MS.email, calendarOf(MS.email, 'MS')).map((e) => e.summary)).toEqual([
      'Cron MS',
    ]);
    expect(calendarOf(OLD.email, 'OL')).toBeUndefined();
  }, 30_000);

  it('triggers one employee by kuerzel in privacy mode', async () => {
    addTermin({ datum: day(1), text: 'Geheim' });
    const res = await post({ kuerzel: 'ms', full_content: false });
    expect(await res.json()).toEqual({ status: 'triggered', kuerzel: 'ms', jobs: 1 });
    await settled(0);
    expect(google.events(MS.email, calendarOf(MS.email, 'MS')).map((e) => e.summary)).toEqual([
      'Termin',
    ]);
    expect(calendarOf(AB.email, 'AB')).toBeUndefined();
  }, 30_000);

  it('never runs one employee twice at once: a trigger during a run becomes one trailing run', async () => {
    for (let i = 0; i < 5; i++) addTermin({ datum: day(i + 1), text: `T${i}` });
    const runs: Array<{ start: number; end: number }> = [];
    let started = 0;
    const original = sync.syncEmployee.bind(sync);
    sync.syncEmployee = async (kuerzel, fullContent) => {
      started += 1;
      const start = Date.now();
      try {
        return await original(kuerzel, fullContent);
      } finally {
        runs.push({ start, end: Date.now() });
      }
    };
    google.setFaults([{ route: '*', latencyMs: 60 }]);
    try {
      await post({ kuerzel: 'MS', full_content: true });
      await waitFor(() => runs.length === 0 && started > 0, { what: 'the first run' });
      await post({ kuerzel: 'MS', full_content: true });
      await post({ kuerzel: 'MS', full_content: true });
      await waitFor(() => runs.length >= 2, { what: 'the trailing run', timeoutMs: 20_000 });
      await settled(0);
    } finally {
      google.setFaults([]);
      delete (sync as Partial<CalendarSyncService>).syncEmployee;
    }
    expect(runs).toHaveLength(2);
    expect(runs[1].start).toBeGreaterThanOrEqual(runs[0].end);
  }, 30_000);

  it('recreates an Advoware appointment deleted in Google, since Advoware is read-only', async () => {
    const t = addTermin({ datum: day(2), text: 'Bleibt' });
    await sync.syncEmployee('MS', true);
    const cal = calendarOf(MS.email, 'MS')!;
    google.cancelEvent(MS.email, cal, `adv0${t.frNr}`);
    const result = await sync.syncEmployee('MS', true);
    expect(result).toMatchObject({
      google: { created: 1 },
      advoware: { created: 0, updated: 0, deleted: 0 },
    });
    expect(google.event(MS.email, cal, `adv0${t.frNr}`)).toMatchObject({
      status: 'confirmed',
      summary: 'Bleibt',
    });
    expect(advoware.termin(t.frNr)).toBeDefined();
  });

  it('resets a Google edit and leaves Google-created events out of Advoware', async () => {
    const t = addTermin({ datum: day(2), text: 'Original' });
    await sync.syncEmployee('MS', true);
    const cal = calendarOf(MS.email, 'MS')!;
    google.editEvent(MS.email, cal, `adv0${t.frNr}`, { summary: 'In Google geändert' });
    google.addEvent(MS.email, cal, {
      summary: 'Privat',
      start: { dateTime: `${day(3)}T12:00:00+01:00` },
      end: { dateTime: `${day(3)}T13:00:00+01:00` },
    });
    const before = advoware.requests.filter(
      (r) => r.method !== 'GET' && /\/(appointments|Termine)(\/|$)/.test(r.route),
    ).length;
    const result = await sync.syncEmployee('MS', true);
    expect(result).toMatchObject({ google: { updated: 1 }, skipped: 1 });
    expect(
      advoware.requests.filter(
        (r) => r.method !== 'GET' && /\/(appointments|Termine)(\/|$)/.test(r.route),
      ).length,
    ).toBe(before);
    expect(advoware.termine('MS')).toHaveLength(1);
    expect(advoware.termin(t.frNr)!.text).toBe('Original');
    expect(google.event(MS.email, cal, `adv0${t.frNr}`)!.summary).toBe('Original');

    google.resetWriteCounts();
    await sync.syncEmployee('MS', true);
    expect(google.writeCount).toBe(0);
  });
});
