import type { CBeteiligte } from '../../src/integrations/espocrm/espocrm.types.js';
import type { AdvowareFake } from '../../test/fakes/advoware/advoware.fake.js';
import type { EspoCrmFake } from '../../test/fakes/espocrm/espocrm.fake.js';
import { startBenchStack } from '../support/bench-stack.js';
import { startHubProcess } from '../support/hub-process.js';
import { postAll, processedTopics, queuesIdle } from '../support/hub-observer.js';
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
  timeoutMs: 150_000,
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
    try {
      const topics = await processedTopics(hub.url, stack.env.OPS_API_KEY);
      if (!topics.has('vmh.beteiligte.create')) {
        return {
          rows: [
            missing('4', 'Beteiligte: time until 1,000 created parties are clean'),
            missing('4', 'Beteiligte: Advoware writes for 1,000 redundant updates'),
          ],
          details: { missing: 'Beteiligte module (vmh.beteiligte.create has no step)' },
        };
      }
      ctx.log(`Beteiligte: ${PARTIES} create events in batches of ${BATCH}`);
      const t0 = Date.now();
      await postAll(`${hub.url}/vmh/webhook/beteiligte/create`, batches(ids), SENDERS);
      await until(() => clean() === PARTIES, `${PARTIES} parties clean`, {
        timeoutMs: 90_000,
        intervalMs: 100,
      });
      const cleanMs = Date.now() - t0;
      await until(idle, 'the Beteiligte queue to drain', { timeoutMs: 30_000 });
      const createAdvoware = adv.requests.length;
      const createAdvowareWrites = advowareWrites(adv);
      const createEspo = espo.requests.length;

      ctx.log(`Beteiligte: ${PARTIES} redundant update events`);
      espo.clearLog();
      adv.clearLog();
      const t1 = Date.now();
      await postAll(`${hub.url}/vmh/webhook/beteiligte/update`, batches(ids), SENDERS);
      const recordReads = () =>
        espo.requests.filter(
          (r) =>
            r.method === 'GET' &&
            r.path.startsWith('/api/v1/CBeteiligte/') &&
            r.path.split('/').length === 5,
        ).length;
      await until(async () => recordReads() >= PARTIES && (await idle()), 'the redundant updates', {
        timeoutMs: 90_000,
        intervalMs: 50,
      });
      const redundantMs = Date.now() - t1;
      const writes = advowareWrites(adv);
      const espoWrites = espo.requests.filter((r) => r.method !== 'GET').length;
      const peak = await hub.peakMemory();

      const rows: ResultRow[] = [
        info(
          '4',
          'Beteiligte: time until 1,000 created parties are clean',
          fmt.s(cleanMs),
          cleanMs,
        ),
        info(
          '4',
          'Beteiligte create: Advoware calls (writes), EspoCRM calls',
          `${fmt.int(createAdvoware)} (${fmt.int(createAdvowareWrites)}), ${fmt.int(createEspo)}`,
        ),
        judged(
          '4',
          'Beteiligte: Advoware writes for 1,000 redundant updates',
          writes,
          fmt.int,
          '==',
          0,
        ),
        info(
          '4',
          'Beteiligte redundant: drain time, EspoCRM writes, Advoware reads',
          `${fmt.s(redundantMs)}, ${fmt.int(espoWrites)}, ${fmt.int(adv.requests.length - writes)}`,
        ),
      ];
      return {
        rows,
        details: {
          cleanMs,
          createAdvoware,
          createAdvowareWrites,
          createEspo,
          redundantMs,
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
