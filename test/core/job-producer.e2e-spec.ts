import { Redis } from 'ioredis';
import { JobProducer } from '../../src/core/queue/job-producer.service.js';
import { REDIS } from '../../src/core/redis/redis.module.js';
import { countCalls } from '../support/count-calls.js';
import { startHub, type RunningHub } from '../support/hub.js';
import { ProbeModule, ProbeTopics } from '../support/probe.module.js';
import { testEnv } from '../support/test-env.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The webhook dedupe on a real Redis and real Bull, as an api process runs it (no
 * worker takes the jobs): how many claim round trips a repeated event costs, and
 * that a claim never swallows an event it must not.
 */
describe('JobProducer coalescing (real Redis, real Bull, api role)', () => {
  let hub: RunningHub;
  let producer: JobProducer;
  let claims = { count: 0 };
  const redis = new Redis({ host: '127.0.0.1', port: 6379 });
  let n = 0;
  const entity = () => `e${Date.now().toString(36)}${(n++).toString(36)}`;

  beforeAll(async () => {
    hub = await startHub(testEnv({}, { APP_ROLE: 'api' }), [ProbeModule]);
    producer = hub.app.get(JobProducer);
    // The claim round trips (with a debounce, claim and add are one script).
    claims = countCalls(hub.app.get<Redis>(REDIS), 'hubClaimKeys', 'hubClaimAndAddDelayed');
  });
  afterAll(async () => {
    await hub.close();
    redis.disconnect();
  });
  beforeEach(() => {
    claims.count = 0;
  });

  const send = (id: string, delayMs: number) =>
    producer.enqueue(ProbeTopics.Touch, [{ entityId: id, traceId: 't' }], {
      coalesceBy: (e) => e.entityId,
      delayMs,
    });
  const delayedJobs = async (id: string) => {
    const jobs = await producer.queueFor(ProbeTopics.Touch).getDelayed();
    return jobs.filter((j) => (j.data as { entityId: string }).entityId === id).length;
  };

  it('answers a repeated event within half the debounce from memory, then asks Redis again', async () => {
    const id = entity();
    expect(await send(id, 1000)).toEqual({ enqueued: 1, coalesced: 0 });
    expect(await send(id, 1000)).toEqual({ enqueued: 0, coalesced: 1 });
    expect(await send(id, 1000)).toEqual({ enqueued: 0, coalesced: 1 });
    expect(claims.count).toBe(1);

    await sleep(550);
    // Past half the debounce the claim is checked in Redis: still standing (the job waits).
    expect(await send(id, 1000)).toEqual({ enqueued: 0, coalesced: 1 });
    expect(claims.count).toBe(2);
    expect(await delayedJobs(id)).toBe(1);
  });

  it('keeps nothing in memory for a short debounce: every event asks Redis', async () => {
    const id = entity();
    expect(await send(id, 50)).toEqual({ enqueued: 1, coalesced: 0 });
    expect(await send(id, 50)).toEqual({ enqueued: 0, coalesced: 1 });
    expect(claims.count).toBe(2);
  });

  it('frees a key whose job has started: the next event makes a new job', async () => {
    const id = entity();
    await send(id, 50);
    // What the worker does when the job starts.
    await redis.del(producer.dedupeKey(ProbeTopics.Touch, id));
    expect(await send(id, 50)).toEqual({ enqueued: 1, coalesced: 0 });
    expect(await delayedJobs(id)).toBe(2);
  });

  it('lets a young claim stand without its job, and takes over a stale one', async () => {
    const young = entity();
    const stale = entity();
    const now = Date.now();
    await redis.set(producer.dedupeKey(ProbeTopics.Touch, young), `${now}|no-such-job`, 'EX', 60);
    await redis.set(
      producer.dedupeKey(ProbeTopics.Touch, stale),
      `${now - 60_000}|no-such-job`,
      'EX',
      600,
    );
    // Young: its job is still being added by whoever claimed it.
    expect(await send(young, 0)).toEqual({ enqueued: 0, coalesced: 1 });
    // Stale: Redis failed between claim and add; the sender's retry must get a job.
    expect(await send(stale, 0)).toEqual({ enqueued: 1, coalesced: 0 });
  });
});
