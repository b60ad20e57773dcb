import type { AdvowareTermin } from '../../src/integrations/advoware/advoware.types.js';
import type { AdvowareFake } from '../../test/fakes/advoware/advoware.fake.js';
import type { GoogleCalendarFake } from '../../test/fakes/google-calendar/google-calendar.fake.js';
import { startBenchStack } from '../support/bench-stack.js';
import { startHubProcess, type HubProcess } from '../support/hub-process.js';
import { counterSum, processedTopics, queuesIdle, scrapeMetrics } from '../support/hub-observer.js';
import { until } from '../support/ports.js';
import { fmt, info, judged, missing, type ResultRow } from '../support/results.js';
import type { Scenario, ScenarioContext, ScenarioResult } from '../support/scenario.js';

const APPOINTMENTS = 2000;
const QUEUE = 'calendar-sync';
const EMPLOYEE = { kuerzel: 'MS', name: 'Schulz', email: 'm.schulz@kanzlei.example', aktiv: true };

function berlinDay(offsetDays: number): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Berlin' }).format(
    new Date(Date.now() + offsetDays * 86_400_000),
  );
}

/** 2,000 appointments over the next 300 days, a third with a note. */
function termine(): Array<Partial<AdvowareTermin>> {
  return Array.from({ length: APPOINTMENTS }, (_, i) => ({
    kuerzel: EMPLOYEE.kuerzel,
    datum: berlinDay(i % 300),
    datumBis: berlinDay(i % 300),
    uhrzeitVon: `${String(7 + (i % 10)).padStart(2, '0')}:00:00`,
    uhrzeitBis: `${String(8 + (i % 10)).padStart(2, '0')}:30:00`,
    dauertermin: false,
    text: `Termin ${i}`,
    notiz: i % 3 === 0 ? `Notiz ${i}` : null,
  }));
}

interface RunFigures {
  ms: number;
  googleCalls: number;
  googleLists: number;
  googleWrites: number;
  advowareCalls: number;
  advowareWrites: number;
  outcome: string;
}

/** One run through the hub: the manual trigger, the queue, the worker; timed until the job has finished. */
async function measuredRun(
  hub: HubProcess,
  opsKey: string,
  google: GoogleCalendarFake,
  adv: AdvowareFake,
  idle: () => Promise<boolean>,
): Promise<RunFigures> {
  google.clearLog();
  google.resetWriteCounts();
  adv.clearLog();
  const finished = async () => {
    const m = await scrapeMetrics(hub.url, opsKey);
    return {
      completed: counterSum(m, 'hub_jobs_total', { queue: QUEUE, outcome: 'completed' }),
      failed: counterSum(m, 'hub_jobs_total', { queue: QUEUE, outcome: 'failed' }),
    };
  };
  const before = await finished();
  const t0 = Date.now();
  const res = await fetch(`${hub.url}/advoware/calendar/sync`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'X-Api-Key': opsKey },
    body: JSON.stringify({ kuerzel: EMPLOYEE.kuerzel, full_content: true }),
  });
  if (!res.ok) throw new Error(`calendar trigger answered ${res.status}: ${await res.text()}`);
  const after = await until(
    async () => {
      const now = await finished();
      return now.completed + now.failed > before.completed + before.failed && (await idle())
        ? now
        : undefined;
    },
    'the calendar run',
    { timeoutMs: 180_000, intervalMs: 50 },
  );
  const ms = Date.now() - t0;
  return {
    ms,
    googleCalls: google.requests.filter((r) => r.route !== '/token').length,
    googleLists: google.requests.filter((r) => r.method === 'GET' && r.route.endsWith('/events'))
      .length,
    googleWrites: google.writeCount,
    advowareCalls: adv.requests.filter((r) => !r.route.includes('/Token')).length,
    advowareWrites: adv.requests.filter((r) => r.method !== 'GET' && !r.route.includes('/Token'))
      .length,
    outcome: after.completed > before.completed ? 'completed' : 'failed',
  };
}

/**
 * 5. Calendar: one employee with 2,000 Advoware appointments. Google's per-user
 * limiter is lifted for this scenario: with the default 500 requests a minute the
 * first run's 2,000 inserts are quota-bound at ≥ 4 minutes by design, and the
 * benchmark measures the hub, not the quota.
 */
export const calendarScenario: Scenario = {
  id: 'calendar',
  title: '5 Calendar',
  timeoutMs: 240_000,
  async run(ctx: ScenarioContext): Promise<ScenarioResult> {
    const { settings } = ctx;
    const stack = await startBenchStack(settings, 'calendar', {
      CALENDAR_SYNC_ENABLED: 'true',
      GOOGLE_RATE_LIMIT_PER_MINUTE: '1000000',
    });
    const { advoware: adv, google } = stack.fakes;
    adv.seed({ mitarbeiter: [EMPLOYEE], termine: termine() });
    const hub = await startHubProcess(stack.env, {
      label: 'calendar',
      outDir: settings.outDir,
      cpuProfile: settings.cpuProfile,
      nodeArgs: settings.hubNodeArgs,
    });
    const idle = () => queuesIdle(ctx.redis.client, stack.prefix, [QUEUE]);
    try {
      const topics = await processedTopics(hub.url, stack.env.OPS_API_KEY);
      if (!topics.has('calendar.sync.employee')) {
        return {
          rows: [
            missing('5', 'calendar: first run'),
            missing('5', 'calendar: second run writes'),
            missing('5', 'calendar: second run list calls'),
          ],
          details: { missing: 'calendar module (calendar.sync.employee has no step)' },
        };
      }
      ctx.log(`calendar: first run, ${APPOINTMENTS} appointments`);
      const first = await measuredRun(hub, stack.env.OPS_API_KEY, google, adv, idle);
      ctx.log('calendar: second run, nothing changed');
      const second = await measuredRun(hub, stack.env.OPS_API_KEY, google, adv, idle);
      const rows: ResultRow[] = [
        info('5', 'calendar first run: time', fmt.s(first.ms), first.ms),
        info(
          '5',
          'calendar first run: Google calls (writes), Advoware calls',
          `${fmt.int(first.googleCalls)} (${fmt.int(first.googleWrites)}), ${fmt.int(first.advowareCalls)}`,
        ),
        judged(
          '5',
          'calendar second run: writes (Google + Advoware)',
          second.googleWrites + second.advowareWrites,
          fmt.int,
          '==',
          0,
        ),
        judged('5', 'calendar second run: list calls', second.googleLists, fmt.int, '<=', 3),
        info(
          '5',
          'calendar second run: time, Google calls, Advoware calls',
          `${fmt.s(second.ms)}, ${fmt.int(second.googleCalls)}, ${fmt.int(second.advowareCalls)}`,
        ),
      ];
      for (const [name, r] of [
        ['first', first],
        ['second', second],
      ] as Array<[string, RunFigures]>) {
        if (r.outcome !== 'completed')
          rows.push(info('5', `calendar ${name} run: job outcome`, r.outcome));
      }
      return { rows, details: { first, second, googleCounts: google.counts() } };
    } finally {
      await hub.stop();
      await stack.close();
    }
  },
};
