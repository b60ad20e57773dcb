import { Redis } from 'ioredis';
import { CalendarSyncService, calendarMarker } from '../src/calendar-sync/calendar-sync.service.js';
import type { AdvowareTermin } from '../src/integrations/advoware/advoware.types.js';
import {
  ADVOWARE_TOKEN_PATH,
  ALL_ADVOWARE_DEVIATIONS,
  type AdvowareFake,
  type AdvowareFakeVariants,
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
import { type RunningHub, startHub } from './support/hub.js';
import { testEnv } from './support/test-env.js';

/** Berlin date `n` days from today (the sync window is relative to now). */
function day(n: number): string {
  const d = new Date(Date.now() + n * 86_400_000);
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Berlin' }).format(d);
}

const MS = {
  kuerzel: 'MS',
  name: 'Schulz',
  vorname: 'Martina',
  email: 'm.schulz@kanzlei.example',
  aktiv: true,
};
const EVENTS = '/calendar/v3/calendars/:calendarId/events';

/** Appointment writes, under the resource names the client may use (`appointments`, formerly `Termine`). */
const isAppointmentWrite = (r: { method: string; route: string }) =>
  r.method !== 'GET' && /\/(appointments|Termine)(\/|$)/.test(r.route);

/**
 * Once against Advoware's documented shape and once with every deviation a real
 * installation may show (lowercase ids, zone-less times, unknown fields dropped,
 * bare-array employees, only the documented paths): issue 14.
 */
describe.each<[string, Partial<AdvowareFakeVariants>]>([
  ['documented Advoware', {}],
  ['every Advoware deviation', ALL_ADVOWARE_DEVIATIONS],
])('CalendarSync: Advoware ↔ Google (fakes, real Redis, full hub) — %s', (_label, variants) => {
  let advoware: AdvowareFake;
  let google: GoogleCalendarFake;
  let hub: RunningHub;
  let sync: CalendarSyncService;
  const redis = new Redis({ host: '127.0.0.1', port: 6379 });
  const creds = makeGoogleTestCredentials();

  const calendarId = () =>
    google.calendars(MS.email).find((c) => c.description?.includes(calendarMarker('MS')))!.id!;
  const event = (id: string) => google.event(MS.email, calendarId(), id);
  const liveEvents = () =>
    google.events(MS.email, calendarId()).filter((e) => e.status !== 'cancelled');
  const advowareWrites = () => advoware.requests.filter(isAppointmentWrite).length;
  const addTermin = (t: Partial<AdvowareTermin>) =>
    advoware.addTermin({ kuerzel: 'MS', dauertermin: false, ...t });
  const run = (fullContent = true) => sync.syncEmployee('MS', fullContent);
  /** Lets the clock move on between two edits; zone-less Advoware times count whole seconds. */
  const afterTick = () => new Promise((r) => setTimeout(r, variants.zonelessTimes ? 1_100 : 20));

  /** Runs a sync and answers the writes it made on each side. */
  async function writesOf(
    fn: () => Promise<unknown>,
  ): Promise<{ google: number; advoware: number }> {
    google.resetWriteCounts();
    const before = advowareWrites();
    await fn();
    return { google: google.writeCount, advoware: advowareWrites() - before };
  }

  beforeAll(async () => {
    advoware = await startAdvowareFake({ variants });
    google = await startGoogleCalendarFake({
      publicKeyPem: creds.publicKeyPem,
      serviceAccountEmail: creds.serviceAccountEmail,
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
          CALENDAR_ADVOWARE_WRITE_ALLOWED: 'true',
          CALENDAR_SYNC_CRON: '0 0 3 1 1 *',
          GOOGLE_RATE_LIMIT_PER_MINUTE: '100000',
          // a refusal pauses the user until Google's window has room: 1 s, not a minute
          GOOGLE_QUOTA_WINDOW_SECONDS: '1',
          GOOGLE_RETRY_BASE_MS: '20',
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
    google.setFaults([]);
    advoware.seed({ mitarbeiter: [MS] });
    const keys = await redis.keys(`${hub.config.queue.prefix}:calendar_sync:*`);
    if (keys.length > 0) await redis.del(...keys);
  });

  it('creates the calendar and one event per Termin with the right times, then writes nothing on a second run', async () => {
    const timed = addTermin({
      datum: day(1),
      uhrzeitVon: '10:00:00',
      datumBis: day(1),
      uhrzeitBis: '11:30:00',
      text: 'Mandantengespräch',
      notiz: 'Akte 12/25',
      ort: 'Raum 1',
    });
    const allDay = addTermin({ datum: day(3), datumBis: day(3), dauertermin: true, text: 'Frist' });
    const multiDay = addTermin({
      datum: day(7),
      uhrzeitVon: '09:30:00',
      datumBis: day(9),
      uhrzeitBis: '17:00:00',
      text: 'Fortbildung',
    });
    const noStart = addTermin({
      datum: day(10),
      datumBis: day(10),
      uhrzeitBis: '10:00:00',
      text: 'Wiedervorlage',
    });
    const allDayMulti = addTermin({
      datum: day(20),
      datumBis: day(23),
      dauertermin: true,
      text: 'Urlaub',
    });

    const first = await run();
    expect(first).toMatchObject({
      mode: 'full',
      google: { created: 5, updated: 0, deleted: 0 },
      failed: 0,
    });
    expect(google.writes['calendars.insert']).toBe(1);

    const e = event(`adv0${timed.frNr}`)!;
    expect(e).toMatchObject({
      summary: 'Mandantengespräch',
      description: 'Akte 12/25',
      location: 'Raum 1',
    });
    expect(e.extendedProperties?.private).toMatchObject({ advowareFrNr: String(timed.frNr) });
    expect(e.extendedProperties?.private?.advowareSyncHash).toMatch(/^[0-9a-f]{32}$/);
    expect(e.start?.dateTime).toMatch(new RegExp(`^${day(1)}T10:00:00\\+0[12]:00$`));
    expect(e.end?.dateTime).toMatch(new RegExp(`^${day(1)}T11:30:00\\+0[12]:00$`));

    expect(event(`adv0${allDay.frNr}`)).toMatchObject({
      start: { date: day(3) },
      end: { date: day(4) },
    });
    expect(event(`adv0${allDayMulti.frNr}`)).toMatchObject({
      start: { date: day(20) },
      end: { date: day(24) },
    });
    const multi = event(`adv0${multiDay.frNr}`)!;
    expect(multi.start?.dateTime).toMatch(new RegExp(`^${day(7)}T09:30:00`));
    expect(multi.end?.dateTime).toMatch(new RegExp(`^${day(9)}T17:00:00`));
    const early = event(`adv0${noStart.frNr}`)!;
    expect(early.start?.dateTime).toMatch(new RegExp(`^${day(10)}T09:00:00`));
    expect(early.end?.dateTime).toMatch(new RegExp(`^${day(10)}T10:00:00`));

    const writes = await writesOf(() => run());
    expect(writes).toEqual({ google: 0, advoware: 0 });
    const again = await writesOf(() => run());
    expect(again).toEqual({ google: 0, advoware: 0 });
  });

  it("adopts the old hub's calendar and pairs its events instead of duplicating them", async () => {
    const a = addTermin({
      datum: day(2),
      uhrzeitVon: '10:00:00',
      uhrzeitBis: '11:00:00',
      text: 'Mandant neu',
    });
    const b = addTermin({
      datum: day(3),
      uhrzeitVon: '14:00:00',
      uhrzeitBis: '15:00:00',
      text: 'Gerichtstermin',
    });
    const c = addTermin({ datum: day(4), datumBis: day(4), dauertermin: true, text: 'Frist' });
    const at = (d: string, time: string) => ({
      dateTime: `${d}T${time}`,
      timeZone: 'Europe/Berlin',
    });
    google.seed({
      users: {
        [MS.email]: {
          calendars: [
            {
              id: 'old-ms@group.calendar.google.com',
              summary: 'Advoware MS',
              description: 'Termine aus Advoware',
              timeZone: 'Europe/Berlin',
              events: [
                // the old hub's reference, stale content
                {
                  id: 'olda01',
                  summary: 'Mandant alt',
                  start: at(day(2), '10:00:00'),
                  end: at(day(2), '11:00:00'),
                  extendedProperties: { private: { frNr: String(a.frNr) } },
                },
                // no reference: paired by start, end and subject
                {
                  id: 'oldb01',
                  summary: 'Gerichtstermin',
                  start: at(day(3), '14:00:00'),
                  end: at(day(3), '15:00:00'),
                },
                // the old hub's duplicate of the same appointment
                {
                  id: 'oldb02',
                  summary: 'Gerichtstermin',
                  start: at(day(3), '14:00:00'),
                  end: at(day(3), '15:00:00'),
                },
              ],
            },
          ],
        },
      },
    });

    const first = await run();
    expect(first).toMatchObject({
      mode: 'full',
      google: { created: 1, updated: 2, deleted: 0 },
      advoware: { created: 0, updated: 0, deleted: 0 },
      failed: 0,
    });
    const calendars = google.calendars(MS.email).filter((cal) => !cal.primary);
    expect(calendars.map((cal) => cal.id)).toEqual(['old-ms@group.calendar.google.com']);
    expect(calendars[0].description).toBe(`Termine aus Advoware\n${calendarMarker('MS')}`);
    expect(google.writes).toMatchObject({ 'calendars.insert': 0, 'calendars.patch': 1 });
    expect(google.writes['events.insert']).toBe(1);

    const live = liveEvents();
    expect(live.map((e) => e.id).sort()).toEqual(['adv0' + c.frNr, 'olda01', 'oldb01', 'oldb02']);
    const frNrOf = (id: string) => event(id)!.extendedProperties?.private?.advowareFrNr;
    expect(frNrOf('olda01')).toBe(String(a.frNr));
    expect(event('olda01')!.summary).toBe('Mandant neu');
    expect(frNrOf('oldb01')).toBe(String(b.frNr));
    expect(frNrOf('oldb02')).toBeUndefined();
    expect(advoware.termine('MS')).toHaveLength(3);

    expect(await writesOf(() => run())).toEqual({ google: 0, advoware: 0 });
    // with the snapshot lost, the full listing pairs the same way and writes nothing
    const keys = await redis.keys(`${hub.config.queue.prefix}:calendar_sync:*`);
    await redis.del(...keys);
    expect(await writesOf(() => run())).toEqual({ google: 0, advoware: 0 });
    expect(advoware.termine('MS')).toHaveLength(3);
    expect(liveEvents()).toHaveLength(4);
  });

  it('updates the event when the Termin changes in Advoware and deletes it when the Termin is gone', async () => {
    const a = addTermin({
      datum: day(2),
      uhrzeitVon: '10:00:00',
      uhrzeitBis: '11:00:00',
      text: 'Alt',
    });
    const b = addTermin({
      datum: day(4),
      uhrzeitVon: '10:00:00',
      uhrzeitBis: '11:00:00',
      text: 'Weg',
    });
    await run();

    advoware.putTermin(a.frNr, { text: 'Neu', uhrzeitBis: '12:00:00' });
    advoware.removeTermin(b.frNr);
    const result = await run();
    expect(result).toMatchObject({
      mode: 'incremental',
      google: { created: 0, updated: 1, deleted: 1 },
      advoware: { created: 0, updated: 0, deleted: 0 },
    });
    expect(event(`adv0${a.frNr}`)).toMatchObject({ summary: 'Neu' });
    expect(event(`adv0${a.frNr}`)!.end?.dateTime).toMatch(/T12:00:00/);
    expect(event(`adv0${b.frNr}`)!.status).toBe('cancelled');

    expect(await writesOf(() => run())).toEqual({ google: 0, advoware: 0 });
  });

  it('creates, updates and deletes the Termin for an event made in Google, marked with [GCAL:<id>]', async () => {
    await run();
    const created = google.addEvent(MS.email, calendarId(), {
      summary: 'Telefonat Gegenseite',
      description: 'Rückruf',
      location: 'Büro',
      start: { dateTime: `${day(5)}T14:00:00+01:00` },
      end: { dateTime: `${day(5)}T15:00:00+01:00` },
    });
    const r1 = await run();
    expect(r1).toMatchObject({
      advoware: { created: 1, updated: 0, deleted: 0 },
      google: { created: 0, updated: 0, deleted: 0 },
    });
    // the write was seen under the resource name in use (so "0 writes" elsewhere can fail)
    expect(advowareWrites()).toBeGreaterThan(0);
    const [termin] = advoware.termine('MS');
    expect(termin).toMatchObject({
      text: 'Telefonat Gegenseite',
      ort: 'Büro',
      kuerzel: 'MS',
      dauertermin: false,
    });
    expect(termin.notiz).toBe(`Rückruf\n[GCAL:${created.id}]`);
    expect(event(created.id!)!.extendedProperties?.private?.advowareFrNr).toBe(String(termin.frNr));
    expect(liveEvents()).toHaveLength(1);
    expect(await writesOf(() => run())).toEqual({ google: 0, advoware: 0 });

    google.editEvent(MS.email, calendarId(), created.id!, {
      summary: 'Telefonat verschoben',
      location: 'Telefon',
    });
    const r2 = await run();
    expect(r2).toMatchObject({ advoware: { updated: 1 } });
    expect(advoware.termin(termin.frNr)).toMatchObject({
      text: 'Telefonat verschoben',
      ort: 'Telefon',
      notiz: `Rückruf\n[GCAL:${created.id}]`,
    });
    expect(await writesOf(() => run())).toEqual({ google: 0, advoware: 0 });

    google.cancelEvent(MS.email, calendarId(), created.id!);
    const r3 = await run();
    expect(r3).toMatchObject({ advoware: { deleted: 1 } });
    expect(advoware.termin(termin.frNr)).toBeUndefined();
    expect(await writesOf(() => run())).toEqual({ google: 0, advoware: 0 });
  });

  it('writes a time change made in Google back to the Advoware Termin', async () => {
    const t = addTermin({
      datum: day(6),
      uhrzeitVon: '10:00:00',
      uhrzeitBis: '11:00:00',
      text: 'Besprechung',
    });
    await run();
    const id = `adv0${t.frNr}`;
    google.editEvent(MS.email, calendarId(), id, {
      start: { dateTime: `${day(8)}T13:00:00`, timeZone: 'Europe/Berlin' },
      end: { dateTime: `${day(9)}T09:00:00`, timeZone: 'Europe/Berlin' },
    });
    expect(await run()).toMatchObject({ advoware: { updated: 1 }, google: { updated: 0 } });
    expect(advoware.termin(t.frNr)).toMatchObject({
      text: 'Besprechung',
      datum: `${day(8)}T00:00:00`,
      uhrzeitVon: '13:00:00',
      datumBis: `${day(9)}T00:00:00`,
      uhrzeitBis: '09:00:00',
    });
    expect(await writesOf(() => run())).toEqual({ google: 0, advoware: 0 });
  });

  it('lets the later change win when both sides changed: Google later', async () => {
    const t = addTermin({
      datum: day(2),
      uhrzeitVon: '10:00:00',
      uhrzeitBis: '11:00:00',
      text: 'Original',
    });
    await run();
    advoware.putTermin(t.frNr, { text: 'Advoware zuerst' });
    await afterTick();
    google.editEvent(MS.email, calendarId(), `adv0${t.frNr}`, { summary: 'Google danach' });
    expect(await run()).toMatchObject({ advoware: { updated: 1 } });
    expect(advoware.termin(t.frNr)!.text).toBe('Google danach');
    expect(event(`adv0${t.frNr}`)!.summary).toBe('Google danach');
    expect(await writesOf(() => run())).toEqual({ google: 0, advoware: 0 });
  });

  it('lets the later change win when both sides changed: Advoware later', async () => {
    const t = addTermin({
      datum: day(2),
      uhrzeitVon: '10:00:00',
      uhrzeitBis: '11:00:00',
      text: 'Original',
    });
    await run();
    google.editEvent(MS.email, calendarId(), `adv0${t.frNr}`, { summary: 'Google zuerst' });
    await afterTick();
    advoware.putTermin(t.frNr, { text: 'Advoware danach' });
    expect(await run()).toMatchObject({ google: { updated: 1 }, advoware: { updated: 0 } });
    expect(event(`adv0${t.frNr}`)!.summary).toBe('Advoware danach');
    expect(advoware.termin(t.frNr)!.text).toBe('Advoware danach');
    expect(await writesOf(() => run())).toEqual({ google: 0, advoware: 0 });
  });

  it('sends only "Termin" and the times in privacy mode and keeps Advoware untouched', async () => {
    const t = addTermin({
      datum: day(2),
      uhrzeitVon: '10:00:00',
      uhrzeitBis: '11:00:00',
      text: 'Scheidung Müller',
      notiz: 'vertraulich',
      ort: 'Kanzlei',
    });
    await run(false);
    const e = event(`adv0${t.frNr}`)!;
    expect(e.summary).toBe('Termin');
    expect(e.description ?? '').toBe('');
    expect(e.location ?? '').toBe('');
    expect(e.start?.dateTime).toMatch(/T10:00:00/);
    expect(await writesOf(() => run(false))).toEqual({ google: 0, advoware: 0 });

    // An edit of the text in Google cannot reach Advoware in privacy mode: Google is reset.
    google.editEvent(MS.email, calendarId(), `adv0${t.frNr}`, { summary: 'Neugierig' });
    await run(false);
    expect(advoware.termin(t.frNr)).toMatchObject({
      text: 'Scheidung Müller',
      notiz: 'vertraulich',
      ort: 'Kanzlei',
    });
    expect(event(`adv0${t.frNr}`)!.summary).toBe('Termin');

    // Switching to full content fills the event in.
    expect(await run(true)).toMatchObject({ google: { updated: 1 } });
    expect(event(`adv0${t.frNr}`)).toMatchObject({
      summary: 'Scheidung Müller',
      description: 'vertraulich',
      location: 'Kanzlei',
    });
  });

  it('syncs a weekly Termin as a recurring event and an unknown turnusArt as a single event', async () => {
    const weekly = addTermin({
      datum: day(3),
      uhrzeitVon: '16:00:00',
      uhrzeitBis: '17:00:00',
      datumBis: day(3),
      turnus: 2,
      turnusArt: 2,
      text: 'Jour fixe',
    });
    const odd = addTermin({
      datum: day(4),
      uhrzeitVon: '16:00:00',
      uhrzeitBis: '17:00:00',
      datumBis: day(4),
      turnus: 1,
      turnusArt: 9,
      text: 'Sonderturnus',
    });
    await run();
    expect(event(`adv0${weekly.frNr}`)!.recurrence).toEqual(['RRULE:FREQ=WEEKLY;INTERVAL=2']);
    expect(event(`adv0${weekly.frNr}`)!.start?.timeZone).toBe('Europe/Berlin');
    expect(event(`adv0${odd.frNr}`)!.recurrence ?? []).toEqual([]);
    expect(await writesOf(() => run())).toEqual({ google: 0, advoware: 0 });
  });

  it('falls back to a full listing when Google answers 410 to the sync token, writing nothing', async () => {
    addTermin({ datum: day(2), uhrzeitVon: '10:00:00', uhrzeitBis: '11:00:00', text: 'A' });
    await run();
    google.expireSyncTokens();
    google.clearLog();
    google.resetWriteCounts();
    const result = await run();
    expect(result.mode).toBe('full');
    expect(google.writeCount).toBe(0);
    const lists = google.requests.filter((r) => r.route === EVENTS && r.method === 'GET');
    expect(lists.map((r) => r.status)).toEqual([410, 200]);
    expect((await run()).mode).toBe('incremental');
  });

  it('backs off on 403 rateLimitExceeded and then succeeds', async () => {
    const t = addTermin({
      datum: day(2),
      uhrzeitVon: '10:00:00',
      uhrzeitBis: '11:00:00',
      text: 'A',
    });
    google.setFaults([{ route: `POST ${EVENTS}`, status: 403, times: 2 }]);
    const result = await run();
    expect(result).toMatchObject({ google: { created: 1 }, failed: 0 });
    const inserts = google.requests.filter((r) => r.route === EVENTS && r.method === 'POST');
    expect(inserts.map((r) => r.status)).toEqual([403, 403, 200]);
    expect(inserts[2].at - inserts[0].at).toBeGreaterThanOrEqual(20);
    expect(event(`adv0${t.frNr}`)!.summary).toBe('A');
  });

  it('treats an id collision on create as the existing event: lost insert answer, and a lost snapshot', async () => {
    const t = addTermin({
      datum: day(2),
      uhrzeitVon: '10:00:00',
      uhrzeitBis: '11:00:00',
      text: 'A',
    });
    google.setFaults([{ route: `POST ${EVENTS}`, status: 503, times: 1, applyThenFail: true }]);
    const result = await run();
    expect(result).toMatchObject({ failed: 0 });
    const inserts = google.requests.filter((r) => r.route === EVENTS && r.method === 'POST');
    expect(inserts.map((r) => r.status)).toEqual([503, 409]);
    expect(liveEvents()).toHaveLength(1);
    expect(await writesOf(() => run())).toEqual({ google: 0, advoware: 0 });

    // Redis lost: one calendar listing and one full listing, inserts answer 409, nothing is duplicated or rewritten.
    const keys = await redis.keys(`${hub.config.queue.prefix}:calendar_sync:*`);
    await redis.del(...keys);
    google.clearLog();
    expect(await writesOf(() => run())).toEqual({ google: 0, advoware: 0 });
    expect(liveEvents()).toHaveLength(1);
    expect(event(`adv0${t.frNr}`)!.summary).toBe('A');
  });
});
