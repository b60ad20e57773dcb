import type { CBeteiligte } from '../../src/integrations/espocrm/espocrm.types.js';
import type { AdvowareFake } from '../../test/fakes/advoware/advoware.fake.js';
import type { EspoCrmFake } from '../../test/fakes/espocrm/espocrm.fake.js';
import { startBenchStack } from '../support/bench-stack.js';
import { startHubProcess } from '../support/hub-process.js';
import {
  counterSum,
  postAll,
  processedTopics,
  queuesIdle,
  scrapeMetrics,
} from '../support/hub-observer.js';
import { until } from '../support/ports.js';
import { fmt, info, judged, missing, type ResultRow } from '../support/results.js';
import type { Scenario, ScenarioContext, ScenarioResult } from '../support/scenario.js';

const PARTIES = 1000;
const BATCH = 50;
const SENDERS = 4;
const QUEUE = 'vmh-beteiligte';

const espoId = (i: number) => `6a1bbe${(i + 1).toString(16).padStart(11, '0')}`;

/** New parties as a person enters them in EspoCRM: master data, an e-mail and two phones, `pending_sync`. */
function seedParties(espo: EspoCrmFake): string[] {
  return Array.from({ length: PARTIES }, (_, i) => {
    const lastName = `Mustermann${i}`;
    return espo.put<CBeteiligte>('CBeteiligte', {
      id: espoId(i),
      name: `Erika ${lastName}`,
      firstName: 'Erika',
      lastName,
      rechtsform: 'Natürliche Person',
      anrede: 'Frau',
      geburtsdatum: '1980-05-17',
      syncStatus: 'pending_sync',
      assignedUserId: 'user-1',
      emailAddressData: [{ emailAddress: `erika${i}@example.de`, primary: true }],
      phoneNumberData: [
        { phoneNumber: `+49 30 ${1000 + i}`, type: 'Office', primary: true },
        { phoneNumber: `+49 170 ${5000 + i}`, type: 'Mobile', primary: false },
      ],
    }).id;
  });
}

/** Advoware requests that change something; the token endpoint is not Advoware data. */
function advowareWrites(adv: AdvowareFake): number {
  return adv.requests.filter((r) => r.method !== 'GET' && !r.route.includes('/Token')).length;
}

/**
 * The parties as both sides hold them, counted in the fakes: clean in EspoCRM with a
 * betNr of their own (no other party shares it) that names an Advoware party with the
 * same name, and that party holds the e-mail and both phone numbers.
 */
function syncedParties(espo: EspoCrmFake, adv: AdvowareFake, ids: string[]) {
  const records = ids.map((id) => espo.get<CBeteiligte>('CBeteiligte', id));
  const owners = new Map<number, number>();
  for (const r of records)
    if (typeof r?.betnr === 'number') owners.set(r.betnr, (owners.get(r.betnr) ?? 0) + 1);
  let linked = 0;
  let withKommunikation = 0;
  for (const r of records) {
    if (!r || r.syncStatus !== 'clean' || typeof r.betnr !== 'number') continue;
    if (owners.get(r.betnr) !== 1) continue;
    const party = adv.beteiligte(r.betnr);
    if (!party || party.name !== r.lastName || party.vorname !== r.firstName) continue;
    linked += 1;
    const held = new Set(adv.kommunikationen(r.betnr).map((k) => k.tlf));
    const wanted = [
      ...(r.emailAddressData ?? []).map((e) => e.emailAddress),
      ...(r.phoneNumberData ?? []).map((p) => p.phoneNumber),
    ];
    if (wanted.every((w) => held.has(w))) withKommunikation += 1;
  }
  return { linked, withKommunikation, advowareParties: adv.allBeteiligte().length };
}

/** A MET row turns MISSED when what it presumes did not happen ("0 writes" for updates never compared). */
function presuming(row: ResultRow, broken: string[]): ResultRow {
  if (row.status !== 'MET' || broken.length === 0) return row;
  return { ...row, value: `${row.value}, void: ${broken.join('; ')}`, status: 'MISSED' };
}

/** Waits like `until`, but a timeout is a finding for the table, not a failed scenario. */
async function waited(probe: () => Promise<boolean> | boolean, timeoutMs: number) {
  return until(probe, '', { timeoutMs, intervalMs: 100 }).then(
    () => true,
    () => false,
  );
}

const batches = (ids: string[]) => {
  const out: Array<Array<{ id: string }>> = [];
  for (let i = 0; i < ids.length; i += BATCH)
    out.push(ids.slice(i, i + BATCH).map((id) => ({ id })));
  return out;
};

/** 4. Beteiligte: 1,000 new parties via the create webhook, then 1,000 updates that change nothing. */
export const beteiligteScenario: Scenario = {
  id: 'beteiligte',
  title: '4 Beteiligte',
  // Above its own waits (90 s create, 30 s drain, 90 s updates): a stuck phase reads MISSED, not aborted.
  timeoutMs: 225_000,
  async run(ctx: ScenarioContext): Promise<ScenarioResult> {
    const { settings } = ctx;
    const stack = await startBenchStack(settings, 'beteiligte');
    const { espocrm: espo, advoware: adv } = stack.fakes;
    const ids = seedParties(espo);
    const hub = await startHubProcess(stack.env, {
      label: 'beteiligte',
      outDir: settings.outDir,
      cpuProfile: settings.cpuProfile,
      nodeArgs: settings.hubNodeArgs,
    });
    const idle = () => queuesIdle(ctx.redis.client, stack.prefix, [QUEUE]);
    const clean = () =>
      espo.records<CBeteiligte>('CBeteiligte').filter((b) => b.syncStatus === 'clean').length;
    const samplePeak = async () => ({
      ...(await hub.peakMemory()),
      heapAfterGc: await hub.heapAfterGc(),
    });
    const jobs = async () => {
      const m = await scrapeMetrics(hub.url, stack.env.OPS_API_KEY);
      return {
        failed: counterSum(m, 'hub_jobs_total', { queue: QUEUE, outcome: 'failed' }),
        retried: counterSum(m, 'hub_jobs_total', { queue: QUEUE, outcome: 'retried' }),
      };
    };
    try {
      const topics = await processedTopics(hub.url, stack.env.OPS_API_KEY);
      if (!topics.has('vmh.beteiligte.create')) {
        return {
          rows: [
            missing('4', 'Beteiligte: time until 1,000 created parties are clean'),
            missing('4', 'Beteiligte: Advoware writes for 1,000 redundant updates'),
          ],
          peak: await samplePeak(),
          details: { missing: 'Beteiligte module (vmh.beteiligte.create has no step)' },
        };
      }
      ctx.log(`Beteiligte: ${PARTIES} create events in batches of ${BATCH}`);
      const t0 = Date.now();
      await postAll(`${hub.url}/vmh/webhook/beteiligte/create`, batches(ids), SENDERS);
      const allClean = await waited(() => clean() === PARTIES, 90_000);
      const cleanMs = Date.now() - t0;
      const createDrained = await waited(idle, 30_000);
      const createJobs = await jobs();
      const created = syncedParties(espo, adv, ids);
      const createAdvoware = adv.requests.length;
      const createAdvowareWrites = advowareWrites(adv);
      const createEspo = espo.requests.length;
      const createRows: ResultRow[] = [
        judged(
          '4',
          'Beteiligte create: parties clean, linked to their own Advoware party',
          created.linked,
          fmt.int,
          '==',
          PARTIES,
        ),
        judged(
          '4',
          'Beteiligte create: parties in Advoware (one per new party)',
          created.advowareParties,
          fmt.int,
          '==',
          PARTIES,
        ),
        judged(
          '4',
          'Beteiligte create: parties whose e-mail and phones are in Advoware',
          created.withKommunikation,
          fmt.int,
          '==',
          PARTIES,
        ),
        allClean
          ? info(
              '4',
              'Beteiligte: time until 1,000 created parties are clean',
              fmt.s(cleanMs),
              cleanMs,
            )
          : info(
              '4',
              'Beteiligte: time until 1,000 created parties are clean',
              `> ${fmt.s(cleanMs)} (${fmt.int(clean())} clean)`,
            ),
        info(
          '4',
          'Beteiligte create: Advoware calls (writes), EspoCRM calls; jobs failed, retried',
          `${fmt.int(createAdvoware)} (${fmt.int(createAdvowareWrites)}), ${fmt.int(createEspo)}; ` +
            `${fmt.int(createJobs.failed)}, ${fmt.int(createJobs.retried)}`,
        ),
      ];
      const createBroken = [
        ...(created.linked === PARTIES ? [] : [`${fmt.int(created.linked)} parties synced`]),
        ...(created.advowareParties === PARTIES
          ? []
          : [`${fmt.int(created.advowareParties)} parties in Advoware`]),
        ...(createDrained ? [] : ['the create queue did not drain']),
      ];
      if (createBroken.length > 0) {
        // Redundant updates of parties that were never synced prove nothing: not measured.
        return {
          rows: [
            ...createRows,
            {
              scenario: '4',
              metric: 'Beteiligte: Advoware writes for 1,000 redundant updates',
              value: `not measured: ${createBroken.join('; ')}`,
              target: '= 0',
              status: 'MISSED',
            },
          ],
          peak: await samplePeak(),
          details: { cleanMs, created, createJobs, createAdvoware, createAdvowareWrites },
        };
      }

      ctx.log(`Beteiligte: ${PARTIES} redundant update events`);
      espo.clearLog();
      adv.clearLog();
      const t1 = Date.now();
      await postAll(`${hub.url}/vmh/webhook/beteiligte/update`, batches(ids), SENDERS);
      // The parties the hub loaded from EspoCRM to compare: each of the 1,000, not 1,000 reads of some.
      const ours = new Set(ids.map((id) => `/api/v1/CBeteiligte/${id}`));
      const loaded = () =>
        new Set(
          espo.requests.filter((r) => r.method === 'GET' && ours.has(r.path)).map((r) => r.path),
        ).size;
      const updatesDone = await waited(async () => loaded() >= PARTIES && (await idle()), 90_000);
      const redundantMs = Date.now() - t1;
      const updateJobs = await jobs();
      const after = syncedParties(espo, adv, ids);
      const writes = advowareWrites(adv);
      const espoWrites = espo.requests.filter((r) => r.method !== 'GET').length;
      const peak = await samplePeak();
      const failedUpdates = updateJobs.failed - createJobs.failed;
      const updateBroken = [
        ...(updatesDone ? [] : [`${fmt.int(loaded())} parties loaded, queue not idle`]),
        ...(failedUpdates === 0 ? [] : [`${fmt.int(failedUpdates)} update jobs failed`]),
        ...(after.linked === PARTIES ? [] : [`${fmt.int(after.linked)} parties still synced`]),
      ];

      const rows: ResultRow[] = [
        ...createRows,
        presuming(
          judged(
            '4',
            'Beteiligte: Advoware writes for 1,000 redundant updates',
            writes,
            fmt.int,
            '==',
            0,
          ),
          updateBroken,
        ),
        presuming(
          judged(
            '4',
            'Beteiligte redundant: parties loaded and compared (distinct)',
            loaded(),
            fmt.int,
            '==',
            PARTIES,
          ),
          updateBroken,
        ),
        info(
          '4',
          'Beteiligte redundant: drain time, EspoCRM writes, Advoware reads; jobs failed',
          `${fmt.s(redundantMs)}, ${fmt.int(espoWrites)}, ${fmt.int(adv.requests.length - writes)}; ` +
            fmt.int(failedUpdates),
        ),
      ];
      return {
        rows,
        peak,
        details: {
          cleanMs,
          created,
          createJobs,
          createAdvoware,
          createAdvowareWrites,
          createEspo,
          redundantMs,
          after,
          updateJobs,
          advowareWrites: writes,
          espoWrites,
          advowareCounts: adv.counts(),
          espoCounts: espo.counts(),
          peak,
        },
      };
    } finally {
      await hub.stop();
      await stack.close();
    }
  },
};
