import { startBenchStack } from '../support/bench-stack.js';
import { startHubProcess } from '../support/hub-process.js';
import { postLoad, type LoadResult } from '../support/load.js';
import { fmt, info, judged, type ResultRow } from '../support/results.js';
import type { Scenario, ScenarioContext, ScenarioResult } from '../support/scenario.js';

const UPDATE = '/vmh/webhook/document/update';
const BARE = '/bench/bare';
const BATCH = 50;
const WARMUP_S = 2;

/**
 * 1. Intake. The hub runs as `APP_ROLE=api` so only the intake is measured: no
 * worker takes the (debounced) jobs while the load runs, and every accepted event
 * is still in Redis afterwards, where the scenario counts it.
 */
export const intakeScenario: Scenario = {
  id: 'intake',
  title: '1 Intake',
  timeoutMs: 120_000,
  async run(ctx: ScenarioContext): Promise<ScenarioResult> {
    const { settings } = ctx;
    const stack = await startBenchStack(settings, 'intake', { APP_ROLE: 'api' });
    const hub = await startHubProcess(stack.env, {
      label: 'intake',
      outDir: settings.outDir,
      cpuProfile: settings.cpuProfile,
      nodeArgs: settings.hubNodeArgs,
    });
    const queueKey = `${stack.prefix}:vmh-document`;
    const jobsInRedis = async () => {
      const [delayed, waiting] = await Promise.all([
        ctx.redis.client.zcard(`${queueKey}:delayed`),
        ctx.redis.client.llen(`${queueKey}:wait`),
      ]);
      return delayed + waiting;
    };
    const load = (path: string, durationS: number, body: Partial<Parameters<typeof postLoad>[0]>) =>
      postLoad({
        url: `${hub.url}${path}`,
        connections: settings.connections,
        durationS,
        ...body,
      });
    const oneId = { bodyWithId: '[{"id":"[<id>]"}]' };
    let seq = 0;
    const batch = {
      body: () =>
        JSON.stringify(
          Array.from({ length: BATCH }, () => ({
            id: `b${settings.runId}${(seq++).toString(36)}`,
          })),
        ),
    };
    try {
      ctx.log(`intake: warming up (${WARMUP_S} s each route)`);
      await load(UPDATE, WARMUP_S, oneId);
      await load(BARE, WARMUP_S, oneId);

      ctx.log(`intake: ${settings.connections} connections × ${settings.durationS} s, 1-id arrays`);
      const before1 = await jobsInRedis();
      const single = await load(UPDATE, settings.durationS, oneId);
      const stored1 = (await jobsInRedis()) - before1;
      ctx.log(`intake: bare route, same load`);
      const bare = await load(BARE, settings.durationS, oneId);
      ctx.log(`intake: 50-id arrays`);
      const before50 = await jobsInRedis();
      const batched = await load(UPDATE, settings.durationS, batch);
      const stored50 = (await jobsInRedis()) - before50;
      const peak = { ...(await hub.peakMemory()), heapAfterGc: await hub.heapAfterGc() };

      const eventsPerS = (batched.ok * BATCH) / batched.durationS;
      const rows: ResultRow[] = [
        info('1', 'intake 1-id: requests/s', fmt.rps(single.rps), single.rps),
        info('1', 'bare route (no enqueue): requests/s', fmt.rps(bare.rps), bare.rps),
        judged('1', 'intake ÷ bare', single.rps / bare.rps, fmt.ratio, '>=', 0.5),
        info('1', 'intake 1-id: p50', fmt.ms(single.p50), single.p50),
        judged('1', 'intake 1-id: p99', single.p99, fmt.ms, '<=', 50),
        info('1', 'bare route: p50 / p99', `${fmt.ms(bare.p50)} / ${fmt.ms(bare.p99)}`),
        judged('1', 'intake 50-id: events accepted/s', eventsPerS, fmt.rps, '>=', 10_000),
        info(
          '1',
          'intake 50-id: requests/s, p50 / p99',
          `${fmt.rps(batched.rps)}, ${fmt.ms(batched.p50)} / ${fmt.ms(batched.p99)}`,
        ),
        info(
          '1',
          'jobs found in Redis ÷ events answered 2xx',
          `${fmt.int(stored1)} / ${fmt.int(single.ok)} (1-id), ${fmt.int(stored50)} / ${fmt.int(batched.ok * BATCH)} (50-id)`,
        ),
      ];
      for (const [name, r] of [
        ['1-id', single],
        ['bare', bare],
        ['50-id', batched],
      ] as Array<[string, LoadResult]>) {
        if (r.non2xx > 0 || r.errors > 0)
          rows.push(
            info(
              '1',
              `${name}: failed requests`,
              `${r.non2xx} non-2xx ${JSON.stringify(r.statusCodes)}, ${r.errors} errors`,
            ),
          );
      }
      return {
        rows,
        peak,
        details: { single, bare, batched, stored1, stored50, eventsPerS, peak },
      };
    } finally {
      await hub.stop();
      await stack.close();
      await ctx.redis.flush();
    }
  },
};
