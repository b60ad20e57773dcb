import { Redis } from 'ioredis';
import { JobProducer } from '../../src/core/queue/job-producer.service.js';
import { startHub, postJson, waitFor, type RunningHub } from '../support/hub.js';
import { ProbeModule, ProbeTopics, probe, type ProbeRun } from '../support/probe.module.js';
import { testEnv } from '../support/test-env.js';

function overlaps(runs: ProbeRun[]): number {
  let worst = 0;
  for (const a of runs) {
    const concurrent = runs.filter((b) => b.start < a.end && a.start < b.end).length;
    worst = Math.max(worst, concurrent);
  }
  return worst;
}

describe('EntityLock with trailing runs (real Redis, real Bull)', () => {
  let hub: RunningHub;
  let producer: JobProducer;
  const redis = new Redis({ host: '127.0.0.1', port: 6379 });

  beforeAll(async () => {
    hub = await startHub(testEnv({}, { WORKER_CONCURRENCY: '8', LOCK_TTL_MS: '2000' }), [
      ProbeModule,
    ]);
    producer = hub.app.get(JobProducer);
  });
  afterAll(async () => {
    await hub.close();
    redis.disconnect();
  });
  beforeEach(() => probe.reset());

  /**
   * Quiet: no lock or pending event of `entity`, and nothing waiting, delayed or running
   * in the probe queue (a deferral's pending check included), three looks in a row.
   * What a test counts after this cannot still change.
   */
  async function settled(entity: string): Promise<void> {
    const queue = producer.queueFor(ProbeTopics.Touch);
    const key = (kind: string) => `${hub.config.queue.prefix}:${kind}:probe_sync:Probe:${entity}`;
    let quiet = 0;
    await waitFor(
      async () => {
        const [c, held] = await Promise.all([
          queue.getJobCounts(),
          redis.exists(key('lock'), key('pending')),
        ]);
        quiet = c.waiting + c.active + c.delayed === 0 && held === 0 ? quiet + 1 : 0;
        return quiet >= 3;
      },
      { timeoutMs: 20_000, intervalMs: 100, what: `${entity} to settle` },
    );
  }

  const send = (ids: string[]) =>
    producer.enqueue(
      ProbeTopics.Touch,
      ids.map((entityId) => ({ entityId, traceId: 't' })),
    );

  it('never overlaps two runs of one entity, while different entities run in parallel', async () => {
    probe.workMs = 80;
    const entities = ['e1', 'e2', 'e3', 'e4'];
    for (let round = 0; round < 5; round++) {
      entities.forEach((e) => probe.bump(e));
      await send(entities);
    }
    await waitFor(
      () => entities.every((e) => probe.runs.some((r) => r.entityId === e && r.versionSeen === 5)),
      {
        what: 'every entity synced at version 5',
      },
    );
    for (const e of entities) expect(overlaps(probe.runs.filter((r) => r.entityId === e))).toBe(1);
    expect(overlaps(probe.runs)).toBeGreaterThan(1);
  });

  it('collapses 50 events that arrive during a run into exactly one trailing run', async () => {
    probe.workMs = 1500;
    probe.bump('hot');
    await send(['hot']);
    await waitFor(
      async () =>
        (await redis.exists(`${hub.config.queue.prefix}:lock:probe_sync:Probe:hot`)) === 1,
      {
        what: 'the first run to hold the lock',
      },
    );
    for (let i = 0; i < 50; i++) {
      probe.bump('hot');
      await send(['hot']);
    }
    await waitFor(() => probe.runs.filter((r) => r.entityId === 'hot').length >= 2, {
      what: 'the trailing run',
    });
    // Not a pause: until the lock is released and the deferred job's pending check ran.
    await settled('hot');
    const runs = probe.runs.filter((r) => r.entityId === 'hot');
    expect(runs).toHaveLength(2);
    expect(runs[1].versionSeen).toBe(51);
    expect(overlaps(runs)).toBe(1);

    probe.workMs = 10;
    probe.bump('hot');
    await send(['hot']);
    await waitFor(() => probe.runs.filter((r) => r.entityId === 'hot').length === 3, {
      what: 'a normal run',
    });
    expect(probe.runs.at(-1)!.versionSeen).toBe(52);
  });

  it('turns a webhook storm for one entity into a few runs and loses no event', async () => {
    probe.workMs = 300;
    const statuses = await Promise.all(
      Array.from({ length: 30 }, async () => {
        probe.bump('storm');
        return (await postJson(`${hub.url}/probe/webhook`, [{ id: 'storm' }, { id: 'storm' }]))
          .status;
      }),
    );
    expect(statuses.every((s) => s === 200)).toBe(true);
    await waitFor(() => probe.runs.some((r) => r.entityId === 'storm' && r.versionSeen === 30), {
      what: 'a run that saw the last event',
    });
    const runs = probe.runs.filter((r) => r.entityId === 'storm');
    expect(runs.length).toBeLessThanOrEqual(3);
    expect(overlaps(runs)).toBe(1);
  });

  it('syncs an entity again after a holder died without releasing its lock', async () => {
    probe.workMs = 10;
    const lockKey = `${hub.config.queue.prefix}:lock:probe_sync:Probe:orphan`;
    // A crashed holder: the lock is there, nobody will release it or run a trailing run.
    // It expires 1.5 s after `lockedAt` at the earliest (Redis sets it after that time).
    const lockedAt = Date.now();
    await redis.set(lockKey, 'dead-holder', 'PX', 1500);
    probe.bump('orphan');
    await send(['orphan']);
    // The event's job met the lock and left its event pending (no run, no pause to hope for).
    const pendingKey = `${hub.config.queue.prefix}:pending:probe_sync:Probe:orphan`;
    await waitFor(async () => (await redis.exists(pendingKey)) === 1, {
      what: 'the event to be deferred behind the orphaned lock',
    });
    await waitFor(() => probe.runs.some((r) => r.entityId === 'orphan' && r.versionSeen === 1), {
      timeoutMs: 10_000,
      what: 'the pending check to sync the orphaned entity',
    });
    await settled('orphan');
    const runs = probe.runs.filter((r) => r.entityId === 'orphan');
    expect(runs).toHaveLength(1);
    // It ran only once the dead holder's lock had expired, never beside it.
    expect(runs[0].start).toBeGreaterThanOrEqual(lockedAt + 1500);
  });

  it('releases the lock when the work throws, and the retry syncs the entity', async () => {
    probe.workMs = 10;
    probe.failNext = 1;
    probe.bump('flaky');
    await send(['flaky']);
    await waitFor(() => probe.runs.some((r) => r.entityId === 'flaky'), { what: 'the retry' });
    expect(await redis.exists(`${hub.config.queue.prefix}:lock:probe_sync:Probe:flaky`)).toBe(0);
  });
});
