import { CalendarSyncService } from '../src/calendar-sync/calendar-sync.service.js';
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
import { type RunningHub, startHub } from './support/hub.js';
import { testEnv } from './support/test-env.js';

function day(n: number): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Berlin' }).format(
    new Date(Date.now() + n * 86_400_000),
  );
}

const COUNT = 2000;
const MS = { kuerzel: 'MS', name: 'Schulz', email: 'm.schulz@kanzlei.example', aktiv: true };

describe('CalendarSync volume: 2,000 appointments for one employee', () => {
  let advoware: AdvowareFake;
  let google: GoogleCalendarFake;
  let hub: RunningHub;
  const creds = makeGoogleTestCredentials();

  beforeAll(async () => {
    advoware = await startAdvowareFake({ latencyMs: 0 });
    google = await startGoogleCalendarFake({
      publicKeyPem: creds.publicKeyPem,
      serviceAccountEmail: creds.serviceAccountEmail,
      latencyMs: 0,
      logBodies: false,
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
          CALENDAR_SYNC_CRON: '0 0 3 1 1 *',
          GOOGLE_RATE_LIMIT_PER_MINUTE: '1000000',
        },
      ),
    );
    const termine: Array<Partial<AdvowareTermin>> = Array.from({ length: COUNT }, (_, i) => ({
      kuerzel: 'MS',
      datum: day(i % 300),
      datumBis: day(i % 300),
      uhrzeitVon: `${String(7 + (i % 10)).padStart(2, '0')}:00:00`,
      uhrzeitBis: `${String(8 + (i % 10)).padStart(2, '0')}:30:00`,
      dauertermin: false,
      text: `Termin ${i}`,
      notiz: i % 3 === 0 ? `Notiz ${i}` : null,
    }));
    advoware.seed({ mitarbeiter: [MS], termine });
  });

  afterAll(async () => {
    await hub?.close();
    await advoware?.close();
    await google?.close();
  });

  it('creates 2,000 events on the first run; the second lists with the sync token only and writes nothing', async () => {
    const sync = hub.app.get(CalendarSyncService);
    const t0 = Date.now();
    const first = await sync.syncEmployee('MS', true);
    const firstMs = Date.now() - t0;
    const firstCalls = google.counts();
    expect(first).toMatchObject({
      mode: 'full',
      google: { created: COUNT, updated: 0, deleted: 0 },
      failed: 0,
    });
    expect(google.writes['events.insert']).toBe(COUNT);

    google.clearLog();
    google.resetWriteCounts();
    advoware.clearLog();
    const t1 = Date.now();
    const second = await sync.syncEmployee('MS', true);
    const secondMs = Date.now() - t1;
    const secondCalls = google.counts();
    expect(second).toMatchObject({
      mode: 'incremental',
      unchanged: COUNT,
      google: { created: 0, updated: 0, deleted: 0 },
    });
    expect(google.writeCount).toBe(0);
    const lists = google.requests.filter((r) => r.route.endsWith('/events'));
    expect(lists.every((r) => r.method === 'GET')).toBe(true);
    expect(lists[0].query).toContain('syncToken=');
    expect(lists.some((r) => r.query.includes('timeMin'))).toBe(false);
    expect(
      Object.keys(secondCalls).filter(
        (k) => !k.endsWith('/events') && !k.startsWith('POST /token'),
      ),
    ).toEqual([]);
    expect(
      advoware.requests.filter(
        (r) => r.method !== 'GET' && /\/(appointments|Termine)(\/|$)/.test(r.route),
      ),
    ).toHaveLength(0);

    google.clearLog();
    const third = await sync.syncEmployee('MS', true);
    expect(third.unchanged).toBe(COUNT);
    const thirdCalls = google.counts();

    console.log(
      JSON.stringify(
        {
          firstMs,
          firstCalls,
          secondMs,
          secondCalls,
          thirdCalls,
          advowareSecond: advoware.counts(),
        },
        null,
        1,
      ),
    );
  }, 120_000);
});
