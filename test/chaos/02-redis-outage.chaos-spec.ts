import { writeFileSync } from 'node:fs';
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
import { drained, seedBeteiligte, sleep, until } from './support/scenario-kit.js';

/**
 * Scenario 2: the hub's Redis goes away for about 10 s twice while webhooks keep
 * arriving — first frozen (SIGSTOP: connections stay open, nothing answers, as with
 * a hung server or a partition), then crashed (SIGKILL, restarted from its
 * append-only file). The private redis-server runs with `appendonly yes` and
 * `appendfsync always`: a crash must not take back what Redis acknowledged, or the
 * test would blame the hub for Redis' own data loss; with persistence off, a crash
 * would lose every acknowledged job by construction. Nothing a webhook acknowledged
 * with 2xx may be lost; everything else must have been answered 503 (which EspoCRM
 * retries), never another status.
 */
const POOL = 1200;
const SENDERS = 8;

interface Answer {
  status: number;
  sentAt: number;
  answeredAt: number;
}

describe('scenario 2: Redis unavailable for ~10 s under webhook load', () => {
  const dir = scenarioDir('2-redis-outage');
  let stack: ChaosStack;
  let redis: PrivateRedis;
  let hub: HubProcess;
  let env: Record<string, string | undefined>;

  beforeAll(async () => {
    stack = await startChaosStack();
    redis = await startPrivateRedis({ password: CHAOS_SECRETS.REDIS_PASSWORD, durable: true });
    // Production's job backoff (2 s base): five attempts span more than 15 s, so a 10 s
    // outage is ridden out by the retries instead of being recorded as a sync failure.
    env = chaosEnv(
      stack,
      { port: redis.port, password: CHAOS_SECRETS.REDIS_PASSWORD },
      { JOB_BACKOFF_BASE_MS: '2000', JOB_BACKOFF_MAX_MS: '300000' },
    );
    hub = await startHubProcess({ ...env, APP_ROLE: 'all' }, { label: 'hub', logDir: dir });
  });

  afterAll(async () => {
    writeFileSync(
      join(dir, 'needles.json'),
      JSON.stringify([
        ...secretNeedles(stack),
        ...stack.advoware.liveTokens().map((value) => ({ name: 'Advoware access token', value })),
      ]),
    );
    await hub?.stop();
    await redis?.stop();
    await stack?.close();
  });

  it('processes every acknowledged event after Redis returns, answers 503 for the rest, and stays up', async () => {
    const started = Date.now();
    const { espocrm, advoware } = stack;
    const pool = seedBeteiligte(espocrm, POOL, 's2');
    const party = (id: string) => espocrm.get<CBeteiligte>('CBeteiligte', id)!;
    const isClean = (id: string) => party(id).syncStatus === 'clean';
    const answers = new Map<string, Answer[]>();
    const health: Array<Answer & { live: number }> = [];
    const windows = {
      frozen: { from: Infinity, to: Infinity },
      crashed: { from: Infinity, to: Infinity },
    };
    const during = (a: Answer, w: { from: number; to: number }) =>
      a.sentAt < w.to && a.answeredAt > w.from;
    let next = 0;
    let loading = true;

    const webhook = async (id: string): Promise<Answer> => {
      const sentAt = Date.now();
      const status = await postSigned(`${hub.url}/vmh/webhook/beteiligte/create`, [{ id }]).then(
        (r) => r.status,
        () => 0,
      );
      const answer = { status, sentAt, answeredAt: Date.now() };
      answers.set(id, [...(answers.get(id) ?? []), answer]);
      return answer;
    };
    const sender = async () => {
      while (loading && next < pool.length) {
        await webhook(pool[next++]);
        await sleep(200);
      }
    };
    const prober = async () => {
      while (loading) {
        const sentAt = Date.now();
        const [ready, live] = await Promise.all(
          ['/health/ready', '/health/live'].map((p) =>
            fetch(`${hub.url}${p}`, { signal: AbortSignal.timeout(3000) }).then(
              (r) => r.status,
              () => 0,
            ),
          ),
        );
        health.push({ status: ready, live, sentAt, answeredAt: Date.now() });
        await sleep(250);
      }
    };

    // The crash window this scenario found, made deterministic: an enqueue claimed the
    // entity's dedupe key, then Redis failed before the job was stored and before the
    // key could be freed. EspoCRM's retry of that batch must still make a job.
    const orphan = pool[next++];
    // (The claim's format, `<claimed at ms>|<job id>`, is JobProducer's.)
    await redis.client.set(
      `${env.QUEUE_PREFIX}:dedupe:vmh.beteiligte.create:${orphan}`,
      `${Date.now() - 60_000}|job-that-was-never-stored`,
      'EX',
      300,
    );
    const retried = await postSigned(`${hub.url}/vmh/webhook/beteiligte/create`, [{ id: orphan }]);
    expect(await retried.json()).toMatchObject({ new_ids_count: 1 });
    answers.set(orphan, [{ status: retried.status, sentAt: started, answeredAt: Date.now() }]);

    // The sleeps below are the scenario's timeline (load before, 10 s frozen, 3 s
    // between, 10 s down, 3 s after), not waits for an event: what the outage must not
    // break is checked on the answers and Redis' contents afterwards.
    const load = Promise.all([...Array.from({ length: SENDERS }, sender), prober()]);
    await sleep(2000);
    windows.frozen.from = Date.now();
    redis.freeze();
    await sleep(10_000);
    redis.thaw();
    windows.frozen.to = Date.now();
    await sleep(3000);
    windows.crashed.from = Date.now();
    await redis.crash();
    await sleep(10_000);
    await redis.restart();
    windows.crashed.to = Date.now();
    await sleep(3000);
    loading = false;
    await load;

    const sent = [...answers.keys()];
    const all = [...answers.values()].flat();
    const acked = sent.filter((id) => answers.get(id)!.some((a) => a.status === 200));
    const refused = sent.filter((id) => !acked.includes(id));
    const otherStatuses = all.filter((a) => a.status !== 200 && a.status !== 503);
    const refusedDuring = (w: { from: number; to: number }) =>
      all.filter((a) => a.status === 503 && during(a, w)).length;

    // Every acknowledged event is processed without any further help.
    await drained(
      redis.client,
      env.QUEUE_PREFIX!,
      'every acknowledged party to be clean',
      120_000,
      () => acked.every(isClean),
    );
    const ackedAndLost = acked.filter((id) => !isClean(id));
    const refusedButStored = refused.filter(isClean);

    // EspoCRM retries what got 503; after that, everything sent is in sync.
    for (const id of refused) {
      await until(
        async () => (await webhook(id)).status === 200,
        `the retry of ${id} to be accepted`,
        {
          timeoutMs: 10_000,
        },
      );
    }
    await drained(redis.client, env.QUEUE_PREFIX!, 'every party sent to be clean', 120_000, () =>
      sent.every(isClean),
    );

    const byExterneId = new Map<string, number>();
    for (const b of advoware.allBeteiligte())
      byExterneId.set(String(b.externeId), (byExterneId.get(String(b.externeId)) ?? 0) + 1);
    const duplicates = [...byExterneId.values()].filter((n) => n > 1).length;
    const notReadyDuring = (w: { from: number; to: number }) =>
      health.filter((h) => h.status === 503 && during(h, w)).length;
    const readyBefore = health.filter((h) => h.answeredAt < windows.frozen.from);
    const liveFailures = health.filter((h) => h.live !== 200).length;

    reportFigures({
      n: 2,
      title: 'Redis outage (10 s SIGSTOP, then 10 s SIGKILL + AOF restart)',
      figures: [
        ['webhooks under load', all.length],
        ['2xx', all.filter((a) => a.status === 200).length],
        ['503 while frozen', refusedDuring(windows.frozen)],
        ['503 while crashed', refusedDuring(windows.crashed)],
        ['other answers', otherStatuses.length],
        ['acknowledged and lost', ackedAndLost.length],
        ['503 but stored anyway', refusedButStored.length],
        ['503 retried by the sender, then accepted', refused.length],
        [
          'not-ready probes',
          `${notReadyDuring(windows.frozen)} frozen / ${notReadyDuring(windows.crashed)} crashed`,
        ],
        ['liveness failures', liveFailures],
        ['hub exited', hub.exited ? `yes (${hub.exitCode ?? hub.exitSignal})` : 'no'],
        ['duplicate parties', duplicates],
      ],
      seconds: secondsSince(started),
    });

    expect(otherStatuses).toEqual([]);
    expect(refusedDuring(windows.frozen)).toBeGreaterThan(0);
    expect(refusedDuring(windows.crashed)).toBeGreaterThan(0);
    expect(ackedAndLost).toEqual([]);
    expect(sent.filter((id) => !isClean(id))).toEqual([]);
    expect(duplicates).toBe(0);
    expect(notReadyDuring(windows.frozen)).toBeGreaterThan(0);
    expect(notReadyDuring(windows.crashed)).toBeGreaterThan(0);
    expect(readyBefore.length).toBeGreaterThan(0);
    expect(readyBefore.every((h) => h.status === 200)).toBe(true);
    expect(liveFailures).toBe(0);
    expect(hub.exited).toBe(false);
    expect((await fetch(`${hub.url}/health/ready`)).status).toBe(200);
  });
});
