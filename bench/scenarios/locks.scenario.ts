import { Redis } from 'ioredis';
import { EntityLock } from '../../src/core/lock/entity-lock.service.js';
import { HubMetrics } from '../../src/core/metrics/hub-metrics.js';
import { redisOptions } from '../../src/core/redis/redis.module.js';
import { testConfig } from '../../test/support/test-env.js';
import { commandDelta } from '../support/private-redis.js';
import { fmt, info } from '../support/results.js';
import type { Scenario, ScenarioContext, ScenarioResult } from '../support/scenario.js';

const TIMED = 3000;
const WARMUP = 300;
const MONITORED = 200;
const PARALLEL = 8;

/**
 * 3. Locks: what one uncontended acquire + release costs a job, with the hub's
 * own EntityLock class against the private Redis. Round trips come from MONITOR
 * (commands a client sent); commands including those run inside Lua scripts from
 * `INFO commandstats`.
 */
export const locksScenario: Scenario = {
  id: 'locks',
  title: '3 Locks',
  timeoutMs: 60_000,
  runsHub: false,
  async run(ctx: ScenarioContext): Promise<ScenarioResult> {
    const config = testConfig(
      {},
      { REDIS_PORT: String(ctx.redis.port), QUEUE_PREFIX: `bench${ctx.settings.runId}locks` },
    );
    const redis = new Redis(redisOptions(config, config.redis.db));
    redis.on('error', () => undefined);
    if (redis.status !== 'ready') await new Promise((r) => redis.once('ready', r));
    const lock = new EntityLock(redis, config, new HubMetrics());
    const payload: { traceId: string; pendingCheck?: boolean } = { traceId: 'bench-locks' };
    const once = (i: number) =>
      lock.runExclusive(
        { step: 'bench_lock', entityType: 'Bench', entityId: `e${i}` },
        payload,
        () => Promise.resolve(),
      );
    try {
      for (let i = 0; i < WARMUP; i++) await once(i);

      const statsBefore = await ctx.redis.commandCalls();
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < TIMED; i++) await once(i);
      const usPerJob = Number(process.hrtime.bigint() - t0) / 1000 / TIMED;
      const delta = commandDelta(statsBefore, await ctx.redis.commandCalls());
      const commands = [...delta.values()].reduce((a, b) => a + b, 0) / TIMED;
      const breakdown = [...delta.entries()]
        .map(([cmd, n]) => `${cmd} ${(n / TIMED).toFixed(1)}`)
        .join(', ');

      const monitor = await ctx.redis.client.duplicate().monitor();
      let fromClient = 0;
      let fromScripts = 0;
      monitor.on('monitor', (_time: string, _args: string[], source: string) => {
        if (source === 'lua') fromScripts += 1;
        else fromClient += 1;
      });
      await new Promise((r) => setTimeout(r, 50));
      for (let i = 0; i < MONITORED; i++) await once(i);
      await new Promise((r) => setTimeout(r, 100));
      monitor.disconnect();

      const p0 = process.hrtime.bigint();
      let next = 0;
      await Promise.all(
        Array.from({ length: PARALLEL }, async () => {
          while (next < TIMED) await once(next++);
        }),
      );
      const parallelPerS = TIMED / (Number(process.hrtime.bigint() - p0) / 1e9);

      return {
        rows: [
          info('3', 'lock acquire+release: latency per job', fmt.us(usPerJob), usPerJob),
          info(
            '3',
            'lock: Redis round trips per job (MONITOR)',
            (fromClient / MONITORED).toFixed(1),
            fromClient / MONITORED,
          ),
          info(
            '3',
            'lock: Redis commands per job incl. Lua',
            `${commands.toFixed(1)} (${breakdown})`,
            commands,
          ),
          info(
            '3',
            `lock: throughput, ${PARALLEL} in parallel`,
            fmt.rps(parallelPerS),
            parallelPerS,
          ),
        ],
        details: {
          usPerJob,
          roundTripsPerJob: fromClient / MONITORED,
          scriptCommandsPerJob: fromScripts / MONITORED,
          commandsPerJob: commands,
          breakdown: Object.fromEntries(delta),
          parallelPerS,
        },
      };
    } finally {
      redis.disconnect();
    }
  },
};
