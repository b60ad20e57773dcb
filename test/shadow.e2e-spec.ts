import { createHash, randomUUID } from 'node:crypto';
import { jest } from '@jest/globals';
import type { Redis } from 'ioredis';
import { calendarMarker } from '../src/calendar-sync/calendar-sync.service.js';
import { REDIS } from '../src/core/redis/redis.module.js';
import {
  ShadowRecorder,
  type ShadowListing,
  type ShadowWrite,
} from '../src/core/shadow/shadow-recorder.service.js';
import type { CBeteiligte, CDokumente } from '../src/integrations/espocrm/espocrm.types.js';
import {
  COLLECTION_FIELD_DEFINITIONS,
  collectionDescription,
} from '../src/xai/collection.mapper.js';
import { advowareDemoData } from './fakes/advoware/demo-data.js';
import {
  ADVOWARE_TOKEN_PATH,
  startAdvowareFake,
  type AdvowareFake,
} from './fakes/advoware/advoware.fake.js';
import type { LoggedRequest } from './fakes/common/fake-server.js';
import { DEMO_IDS, espocrmDemoData } from './fakes/espocrm/demo-data.js';
import { startEspoCrmFake, type EspoCrmFake } from './fakes/espocrm/espocrm.fake.js';
import {
  startGoogleCalendarFake,
  type GoogleCalendarFake,
} from './fakes/google-calendar/google-calendar.fake.js';
import {
  googleEnv,
  makeGoogleTestCredentials,
} from './fakes/google-calendar/google-credentials.js';
import { startXaiFake, type XaiFake } from './fakes/xai/xai.fake.js';
import { postJson, queuesIdle, startHub, waitFor, type RunningHub } from './support/hub.js';
import { testEnv } from './support/test-env.js';

/**
 * Shadow mode (issue 15) end to end: one scenario — a create webhook for a demo
 * party, a document storm on an eviction case and a calendar run for two employees —
 * first with SYNC_MODE=shadow, then, on the same fakes, after a restart with
 * SYNC_MODE=live.
 *
 * How recorded and real writes are compared (by system, method and path, ids
 * included, URL-decoded):
 * 1. shadow: no fake sees a single write (token endpoints excepted);
 * 2. every recorded write, "would create, then stop" entries included, is among the
 *    live run's real writes (as a multiset: each real write matches one record);
 * 3. each real write the record lacks belongs to a run that the record shows stopped
 *    at a create: its path names the stopped job's entity, or what the live run
 *    created for it (the party's betnr, the document's xAI file, the employee's new
 *    calendar).
 */
jest.setTimeout(90_000);

const MS = 'm.schulz@kanzlei.example';
const AB = 'a.becker@kanzlei.example';

interface Write {
  system: string;
  method: string;
  path: string;
}

const key = (w: Write) => `${w.system} ${w.method} ${decodeURIComponent(w.path)}`;

function day(n: number): string {
  const d = new Date(Date.now() + n * 86_400_000);
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Berlin' }).format(d);
}

describe('shadow mode: every write recorded, none sent; live makes the recorded ones (e2e)', () => {
  let espo: EspoCrmFake;
  let adv: AdvowareFake;
  let xai: XaiFake;
  let google: GoogleCalendarFake;
  let env: Record<string, string | undefined>;
  let hub: RunningHub | undefined;
  const creds = makeGoogleTestCredentials();
  const storm: { klage: string; collection: string; fresh: string[]; uploaded: string[] } = {
    klage: DEMO_IDS.klage,
    collection: '',
    fresh: [],
    uploaded: [],
  };

  beforeAll(async () => {
    espo = await startEspoCrmFake();
    adv = await startAdvowareFake();
    xai = await startXaiFake();
    google = await startGoogleCalendarFake({
      publicKeyPem: creds.publicKeyPem,
      serviceAccountEmail: creds.serviceAccountEmail,
    });
    espo.seed(espocrmDemoData());
    adv.seed(advowareDemoData());
    for (const [i, text] of ['Räumungstermin', 'Mandantengespräch', 'Frist'].entries()) {
      adv.addTermin({
        kuerzel: 'MS',
        datum: day(i + 1),
        uhrzeitVon: '10:00:00',
        datumBis: day(i + 1),
        uhrzeitBis: '11:00:00',
        dauertermin: false,
        text,
      });
    }
    adv.addTermin({
      kuerzel: 'AB',
      datum: day(2),
      datumBis: day(2),
      dauertermin: true,
      text: 'Urlaub',
    });
    // MS already has the hub's calendar: the run goes on to the events. AB has none: create, then stop.
    google.addCalendar(MS, { summary: 'Advoware MS', description: calendarMarker('MS') });

    // The case already has the hub's collection; its documents: the demo's three and
    // twelve more new files (upload: would create, then stop) and three files uploaded
    // before but in no collection yet (membership and write-back: answered, run goes on).
    storm.collection = `collection_${randomUUID()}`;
    xai.seed({
      collections: [
        {
          collection_id: storm.collection,
          collection_name: 'CVmhRaeumungsklage - Demo',
          collection_description: collectionDescription({
            entityType: 'CVmhRaeumungsklage',
            entityId: storm.klage,
          }),
          field_definitions: COLLECTION_FIELD_DEFINITIONS,
        },
      ],
    });
    espo.patch('CVmhRaeumungsklage', storm.klage, { xaiCollectionId: storm.collection });
    storm.fresh = [DEMO_IDS.dokKlageschrift, DEMO_IDS.dokMietvertrag, DEMO_IDS.dokKuendigung];
    for (let i = 0; i < 12; i++) {
      const dokumentId = espo.addAttachment({
        name: `anlage-${i}.txt`,
        type: 'text/plain',
        text: `Anlage ${i}`,
      });
      storm.fresh.push(
        espo.put<CDokumente>('CDokumente', {
          name: `anlage-${i}.txt`,
          dokumentId,
          fileStatus: 'neu',
        }).id,
      );
    }
    for (let i = 0; i < 3; i++) {
      const text = `schon hochgeladen ${i}`;
      const fileId = `file_${randomUUID()}`;
      xai.seed({ files: [{ id: fileId, filename: `alt-${i}.txt`, content: text }] });
      const md5sum = createHash('md5').update(text).digest('hex');
      const dokumentId = espo.addAttachment({ name: `alt-${i}.txt`, type: 'text/plain', text });
      storm.uploaded.push(
        espo.put<CDokumente>('CDokumente', {
          name: `alt-${i}.txt`,
          dokumentId,
          md5sum,
          xaiId: fileId,
          xaiSyncedHash: md5sum,
          xaiCollections: [],
          fileStatus: 'synced',
        }).id,
      );
    }
    espo.linkRecords('CVmhRaeumungsklage', storm.klage, 'dokumente', [
      ...storm.fresh,
      ...storm.uploaded,
    ]);

    env = testEnv(
      {
        espocrm: espo.apiUrl,
        advoware: adv.url,
        advowareAuth: `${adv.url}${ADVOWARE_TOKEN_PATH}`,
        xai: xai.url,
        google: google.url,
      },
      {
        ...googleEnv(creds, google.url),
        WORKER_CONCURRENCY: '4',
        VMH_BETEILIGTE_SYNC_CRON: '0 0 0 1 1 *',
        CALENDAR_SYNC_CRON: '0 0 3 1 1 *',
        GOOGLE_RATE_LIMIT_PER_MINUTE: '100000',
        GOOGLE_RETRY_BASE_MS: '20',
      },
    );
  });

  afterAll(async () => {
    if (hub) await hub.app.get<Redis>(REDIS).del(hub.config.sync.shadowLogKey);
    await hub?.close();
    await Promise.all([espo?.close(), adv?.close(), xai?.close(), google?.close()]);
  });

  const fakes = () =>
    [
      ['espocrm', espo],
      ['advoware', adv],
      ['xai', xai],
      ['google', google],
    ] as const;
  const clearLogs = () => fakes().forEach(([, f]) => f.clearLog());
  const isToken = (r: LoggedRequest) =>
    /\/token$/i.test(r.route) || r.path.endsWith(ADVOWARE_TOKEN_PATH);
  function realWrites(): Write[] {
    return fakes().flatMap(([system, f]) =>
      f.requests
        .filter((r) => r.method !== 'GET' && !isToken(r))
        .map((r) => ({ system, method: r.method, path: r.path })),
    );
  }

  const idle = (h: RunningHub) =>
    queuesIdle(h, ['vmh-beteiligte', 'vmh-document', 'xai-collection', 'calendar-sync'], {
      quietLooks: 5,
      timeoutMs: 60_000,
    });

  /** The same events in both modes. */
  async function scenario(h: RunningHub): Promise<void> {
    const answers = await Promise.all([
      postJson(`${h.url}/vmh/webhook/beteiligte/create`, [{ id: DEMO_IDS.erika }]),
      postJson(
        `${h.url}/vmh/webhook/entity/link`,
        [...storm.fresh, ...storm.uploaded].map((foreignId) => ({
          entityType: 'CVmhRaeumungsklage',
          entityId: storm.klage,
          foreignType: 'CDokumente',
          foreignId,
        })),
      ),
      h.ops('/advoware/calendar/sync', {
        method: 'POST',
        body: JSON.stringify({ kuerzel: 'ALL' }),
      }),
    ]);
    expect(answers[0].status).toBe(200);
    expect(answers[1].status).toBe(200);
    expect(answers[2].ok).toBe(true);
  }

  let recorded: ShadowWrite[] = [];

  it('shadow: runs everything, sends no write, and lists the writes it would make', async () => {
    hub = await startHub({ ...env, SYNC_MODE: 'shadow' });
    clearLogs();
    await scenario(hub);
    const listing = await waitFor(
      async () => {
        const l = (await (await hub!.ops('/_console/shadow?limit=1000')).json()) as ShadowListing;
        const stops = l.writes.filter((w) => w.stopped);
        const uploads = stops.filter((w) => w.system === 'xai' && w.path === '/v1/files').length;
        const events = l.writes.filter(
          (w) => w.system === 'google' && w.method === 'POST' && !w.stopped,
        ).length;
        const party = stops.some((w) => w.system === 'advoware');
        const calendarAB = stops.some((w) => w.system === 'google');
        return uploads === storm.fresh.length && events >= 3 && party && calendarAB ? l : undefined;
      },
      { what: 'the shadow log of the whole scenario', timeoutMs: 60_000 },
    );
    await idle(hub);
    const final = (await (await hub.ops('/_console/shadow?limit=1000')).json()) as ShadowListing;
    recorded = final.writes;
    console.info(`shadow log: ${final.total} writes`, final.counts);

    expect(realWrites()).toEqual([]);
    // A create that stops its run ends the job as completed: never retried, recorded once.
    expect(recorded.filter((w) => w.system === 'advoware' && w.stopped)).toHaveLength(1);
    expect(recorded.filter((w) => w.system === 'google' && w.stopped)).toHaveLength(1);
    // The proxy is a pass-through for people, not shadowed: its write reaches Advoware
    // (a DELETE of a Termin that does not exist: Advoware's state stays as it was).
    const proxied = await fetch(`${hub.url}/advoware/proxy?endpoint=Termine/999999`, {
      method: 'DELETE',
      headers: { 'X-Api-Key': env.PROXY_API_KEYS!.split(',')[0] },
    });
    expect(proxied.status).toBeGreaterThanOrEqual(400);
    expect(
      adv.requests.filter((r) => r.method === 'DELETE' && r.path.endsWith('/Termine/999999')),
    ).toHaveLength(1);
    expect(
      ((await (await hub.ops('/_console/shadow?system=advoware')).json()) as ShadowListing).total,
    ).toBe(recorded.filter((w) => w.system === 'advoware').length);
    expect(final.mode).toBe('shadow');
    expect(final.total).toBe(recorded.length);
    expect(listing.total).toBeGreaterThan(0);
    // Answered writes of the runs that went on: memberships and write-backs of the
    // already uploaded documents, the calendar events of MS.
    for (const id of storm.uploaded) {
      expect(
        recorded.some((w) => w.method === 'PUT' && w.path === `/api/v1/CDokumente/${id}`),
      ).toBe(true);
    }
    expect(
      recorded.filter((w) => w.system === 'xai' && w.kind === 'membership' && !w.stopped),
    ).toHaveLength(storm.uploaded.length);
    // Filters: by system and by entity; counts per kind.
    const onlyXai = (await (
      await hub.ops('/_console/shadow?system=xai&limit=1000')
    ).json()) as ShadowListing;
    expect(onlyXai.writes.every((w) => w.system === 'xai')).toBe(true);
    expect(onlyXai.total).toBe(recorded.filter((w) => w.system === 'xai').length);
    const erika = (await (
      await hub.ops(`/_console/shadow?entity=${DEMO_IDS.erika}`)
    ).json()) as ShadowListing;
    expect(erika.total).toBeGreaterThan(0);
    expect(
      erika.writes.every(
        (w) => w.entity.includes(DEMO_IDS.erika) || w.path.includes(DEMO_IDS.erika),
      ),
    ).toBe(true);
    expect(Object.values(final.counts).reduce((a, b) => a + b, 0)).toBe(final.total);
    expect((await hub.ops('/_console/shadow?system=nope')).status).toBe(400);
    // The metric counts the same writes.
    const metrics = await (await hub.ops('/metrics')).text();
    const counted = metrics
      .split('\n')
      .filter((l) => l.startsWith('hub_shadow_writes_total{'))
      .reduce((n, l) => n + Number(l.split(' ').pop()), 0);
    expect(counted).toBe(final.total);
    // Nothing pretended to have happened: EspoCRM still says what it said.
    expect(espo.get<CBeteiligte>('CBeteiligte', DEMO_IDS.erika)?.betnr ?? null).toBeNull();
    expect(
      google.calendars(AB).filter((c) => c.description?.includes(calendarMarker('AB'))),
    ).toHaveLength(0);
    await hub.close();
    hub = undefined;
  });

  it('live (restart on the same fakes): the recorded writes are made, and more only after a recorded stop', async () => {
    expect(recorded.length).toBeGreaterThan(0);
    hub = await startHub({ ...env, SYNC_MODE: 'live' });
    clearLogs();
    await scenario(hub);
    await waitFor(
      () =>
        espo.get<CBeteiligte>('CBeteiligte', DEMO_IDS.erika)?.syncStatus === 'clean' &&
        [...storm.fresh, ...storm.uploaded].every(
          (id) => espo.get<CDokumente>('CDokumente', id)?.fileStatus === 'synced',
        ) &&
        google.calendars(AB).some((c) => c.description?.includes(calendarMarker('AB'))),
      { what: 'the live run done', timeoutMs: 60_000 },
    );
    await idle(hub);
    const real = realWrites();

    // 2. Every recorded write is among the real ones.
    const pool = new Map<string, number>();
    for (const w of real) pool.set(key(w), (pool.get(key(w)) ?? 0) + 1);
    const unmatched: string[] = [];
    for (const w of recorded) {
      const k = key(w);
      const left = pool.get(k) ?? 0;
      if (left === 0) unmatched.push(k);
      else pool.set(k, left - 1);
    }
    expect(unmatched).toEqual([]);

    // 3. What the record lacks belongs to runs it shows stopped at a create.
    const stops = recorded.filter((w) => w.stopped);
    const tokens = new Set<string>();
    for (const s of stops) {
      const id = s.entity.split('/').pop()!;
      tokens.add(id);
      const doc = espo.get<CDokumente>('CDokumente', id);
      if (doc?.xaiId) tokens.add(doc.xaiId);
      const party = espo.get<CBeteiligte>('CBeteiligte', id);
      if (party?.betnr) tokens.add(String(party.betnr));
      if (s.system === 'google') {
        const email = id === 'AB' ? AB : id === 'MS' ? MS : '';
        google.calendars(email).forEach((c) => tokens.add(c.id!));
      }
    }
    const extra = [...pool.entries()].flatMap(([k, n]) => Array<string>(n).fill(k));
    const unexplained = extra.filter((k) => ![...tokens].some((t) => k.includes(t)));
    console.info(
      `live: ${real.length} real writes, ${recorded.length} recorded, ${stops.length} recorded stops, ${extra.length} after a stop`,
    );
    expect(unexplained).toEqual([]);
    expect(stops.length).toBeGreaterThan(0);
  });
});

describe('shadow log: bounded', () => {
  it('keeps about SHADOW_LOG_MAX_ENTRIES entries however many writes are recorded', async () => {
    const hub = await startHub(testEnv({}, { SYNC_MODE: 'shadow', SHADOW_LOG_MAX_ENTRIES: '100' }));
    const redis = hub.app.get<Redis>(REDIS);
    try {
      const recorder = hub.app.get(ShadowRecorder);
      const scope = { traceId: 't', step: 'probe', entity: 'CDokumente/x' };
      for (let i = 0; i < 1000; i++) {
        await recorder.record(
          scope,
          { system: 'espocrm', method: 'PUT', path: `/api/v1/CDokumente/d${i}`, body: { i } },
          'update',
          false,
        );
      }
      const length = await redis.xlen(hub.config.sync.shadowLogKey);
      // MAXLEN ~ trims whole stream nodes (100 entries each by default): between the bound and one node more.
      expect(length).toBeGreaterThanOrEqual(100);
      expect(length).toBeLessThanOrEqual(200);
      const listing = await recorder.list({ limit: 5 });
      expect(listing.total).toBe(length);
      expect(listing.writes.map((w) => w.path)).toEqual(
        [999, 998, 997, 996, 995].map((i) => `/api/v1/CDokumente/d${i}`),
      );
      expect(listing.writes[0].fields).toEqual({ i: '999' });
    } finally {
      await redis.del(hub.config.sync.shadowLogKey);
      await hub.close();
    }
  });
});
