import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CBeteiligte } from '../../src/integrations/espocrm/espocrm.types.js';
import {
  CHAOS_SECRETS,
  chaosEnv,
  postSigned,
  secretNeedles,
  startChaosStack,
  type ChaosStack,
} from './support/chaos-stack.js';
import { reportFigures, scenarioDir, secondsSince } from './support/chaos-run.js';
import { startHubProcess, type HubProcess } from './support/hub-process.js';
import { startPrivateRedis, type PrivateRedis } from './support/private-redis.js';
import {
  drained,
  seedBeteiligte,
  startInProcessHub,
  until,
  type InProcessHub,
} from './support/scenario-kit.js';

/**
 * Scenario 4: one api and two worker processes on one Redis. Duplicated, shuffled
 * webhooks for 300 parties: the Advoware fake holds every write for a moment and
 * records overlapping writes per party (must stay 1), no party is created twice, and
 * the Beteiligte cron, scheduled every 2 s on both workers, runs once per tick.
 */
const PARTIES = 300;
const CRON_STEP = 'vmh-beteiligte-sync-check';

function shuffle<T>(xs: T[], seed: number): T[] {
  const out = [...xs];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

describe('scenario 4: two workers and one api on one Redis', () => {
  const dir = scenarioDir('4-two-workers');
  let stack: ChaosStack;
  let redis: PrivateRedis;
  let api: InProcessHub;
  const workers: HubProcess[] = [];
  let env: Record<string, string | undefined>;

  beforeAll(async () => {
    stack = await startChaosStack({ writeHoldMs: 15 });
    redis = await startPrivateRedis({ password: CHAOS_SECRETS.REDIS_PASSWORD });
    env = chaosEnv(
      stack,
      { port: redis.port, password: CHAOS_SECRETS.REDIS_PASSWORD },
      { VMH_BETEILIGTE_SYNC_CRON: '*/2 * * * * *' },
    );
    api = await startInProcessHub({ ...env, APP_ROLE: 'api' }, dir, 'api');
    for (const label of ['worker-a', 'worker-b'])
      workers.push(await startHubProcess({ ...env, APP_ROLE: 'worker' }, { label, logDir: dir }));
  });

  afterAll(async () => {
    writeFileSync(join(dir, 'needles.json'), JSON.stringify(secretNeedles(stack)));
    await Promise.all(workers.map((w) => w.stop()));
    await api?.close();
    await redis?.stop();
    await stack?.close();
  });

  it('never writes one party from two workers at once, creates each once, and runs each cron tick once', async () => {
    const started = Date.now();
    const prefix = api.config.queue.prefix;
    const ids = seedBeteiligte(stack.espocrm, PARTIES, 'w');
    const hook = (action: string, batch: string[]) =>
      postSigned(
        `${api.url}/vmh/webhook/beteiligte/${action}`,
        batch.map((id) => ({ id })),
      );

    const creates = shuffle([...ids, ...ids, ...ids], 4);
    for (let i = 0; i < creates.length; i += 50) {
      expect((await hook('create', creates.slice(i, i + 50))).status).toBe(200);
    }
    const allClean = () =>
      ids.every((id) => stack.espocrm.get<CBeteiligte>('CBeteiligte', id)?.syncStatus === 'clean');
    await until(allClean, 'every party clean after the creates', {
      timeoutMs: 180_000,
      intervalMs: 500,
    });

    // User edits on every other party, each announced three times in shuffled batches.
    const edited = ids.filter((_, i) => i % 2 === 0);
    for (const id of edited) {
      stack.espocrm.patch('CBeteiligte', id, { anrede: 'Divers', syncStatus: 'dirty' });
    }
    const updates = shuffle([...edited, ...edited, ...edited], 44);
    for (let i = 0; i < updates.length; i += 50) {
      expect((await hook('update', updates.slice(i, i + 50))).status).toBe(200);
    }
    await until(allClean, 'every party clean after the edits', {
      timeoutMs: 180_000,
      intervalMs: 500,
    });
    await drained(redis.client, prefix, 'the queues to drain', 120_000);

    const state = stack.advoware.state() as { maxConcurrentWrites: Record<string, number> };
    const perParty = Object.entries(state.maxConcurrentWrites).filter(([k]) => !k.endsWith(':new'));
    const maxPerParty = Math.max(0, ...perParty.map(([, n]) => n));
    const byEspoId = new Map<string, number>();
    for (const b of stack.advoware.allBeteiligte()) {
      const key = String(b.externeId);
      byEspoId.set(key, (byEspoId.get(key) ?? 0) + 1);
    }
    const duplicates = [...byEspoId.values()].filter((n) => n > 1).length;
    const puts = stack.advoware.requests.filter(
      (r) => r.method === 'PUT' && r.route.endsWith('/Beteiligte/:betnr') && r.status < 400,
    ).length;

    // Cron: both workers schedule the step every 2 s. A tick is one Bull job whose id
    // is the step and the tick time, and its run logs one line carrying the tick's trace
    // id. Over a window of the next four ticks, each tick must have exactly one job
    // (none missed, no second job for an odd second) and exactly one run across the
    // two workers' logs. The window ends when the ticks happened, not after a time.
    const listReads = () =>
      stack.espocrm.requests.filter((r) => r.method === 'GET' && r.path === '/api/v1/CBeteiligte')
        .length;
    const tickJob = (iso: string) => `${prefix}:hub-cron:${CRON_STEP}@${iso}`;
    const tickTimes = async () =>
      (await redis.client.keys(`${prefix}:hub-cron:${CRON_STEP}@2*`)).map((k) =>
        Date.parse(k.slice(k.indexOf('@') + 1)),
      );
    const windowStart = Date.now();
    const firstTick = Math.ceil((windowStart + 1) / 2000) * 2000;
    const expected = Array.from({ length: 4 }, (_, i) => new Date(firstTick + i * 2000));
    const readsBefore = listReads();
    await until(
      async () => {
        const finished = await Promise.all(
          expected.map((t) => redis.client.hget(tickJob(t.toISOString()), 'finishedOn')),
        );
        return finished.every((f) => f !== null);
      },
      `the ticks ${expected.map((t) => t.toISOString().slice(11, 19)).join(', ')} to finish`,
      { timeoutMs: 60_000, intervalMs: 200 },
    );
    const windowEnd = expected.at(-1)!.getTime() + 1;
    const inWindow = (await tickTimes()).filter((t) => t >= firstTick && t < windowEnd);
    const ticks = inWindow.length;
    const reads = listReads() - readsBefore;

    // What actually ran: each tick's line in the two logs (written by child processes,
    // so wait until every expected tick shows up, then count).
    const runsPerTick = () => {
      const runs = new Map<string, number>();
      for (const w of workers) {
        for (const line of readFileSync(w.logFile, 'utf8').split('\n')) {
          if (!line.includes('Beteiligte sync check:')) continue;
          let traceId: string | undefined;
          try {
            traceId = (JSON.parse(line) as { params?: { traceId?: string } }).params?.traceId;
          } catch {
            continue; // the last line, still being written
          }
          runs.set(String(traceId), (runs.get(String(traceId)) ?? 0) + 1);
        }
      }
      return expected.map((t) => runs.get(`cron-${CRON_STEP}-${t.toISOString()}`) ?? 0);
    };
    await until(() => runsPerTick().every((n) => n > 0), 'a logged run of every tick', {
      timeoutMs: 10_000,
    });
    const perTick = runsPerTick();

    expect(maxPerParty).toBe(1);
    expect(duplicates).toBe(0);
    expect(stack.advoware.allBeteiligte()).toHaveLength(PARTIES);
    expect(inWindow.sort()).toEqual(expected.map((t) => t.getTime()));
    expect(perTick).toEqual(expected.map(() => 1));
    expect(reads).toBeGreaterThan(0);
    expect(workers.every((w) => !w.exited)).toBe(true);

    reportFigures({
      n: 4,
      title: 'Two workers + one api',
      figures: [
        ['parties', PARTIES],
        ['webhook events', creates.length + updates.length],
        ['max concurrent writes per party', maxPerParty],
        ['Advoware parties', stack.advoware.allBeteiligte().length],
        ['duplicates', duplicates],
        ['party PUTs for 150 edits', puts],
        ['cron ticks in the window (every 2 s, 2 schedulers)', ticks],
        ['EspoCRM reads per tick', (reads / Math.max(ticks, 1)).toFixed(1)],
        ["runs per tick in the workers' logs", perTick.join('/')],
      ],
      seconds: secondsSince(started),
    });
  });
});
