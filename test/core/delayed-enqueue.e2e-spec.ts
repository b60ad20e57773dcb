import type { JobOptions } from 'bull';
import { Redis } from 'ioredis';
import { JobProducer } from '../../src/core/queue/job-producer.service.js';
import { startHub, waitFor, type RunningHub } from '../support/hub.js';
import { ProbeModule, ProbeTopics, probe } from '../support/probe.module.js';
import { testEnv } from '../support/test-env.js';

/**
 * A coalescing enqueue with a debounce claims and stores its delayed jobs in one script
 * of our own (enqueue.scripts.ts) instead of Bull's addBulk. These tests hold it to
 * Bull on a real Redis: the job it writes must be the job `queue.add` writes, and a
 * real Bull worker must run it. They fail if a Bull upgrade changes the job format.
 */
describe('Delayed enqueue in one script = Bull’s add (real Redis, real Bull)', () => {
  let hub: RunningHub;
  let producer: JobProducer;
  const redis = new Redis({ host: '127.0.0.1', port: 6379 });
  let n = 0;
  const entity = () => `d${Date.now().toString(36)}${(n++).toString(36)}`;
  const queue = () => producer.queueFor(ProbeTopics.Touch);

  beforeAll(async () => {
    probe.reset();
    probe.workMs = 0;
    hub = await startHub(testEnv({}, { APP_ROLE: 'all' }), [ProbeModule]);
    producer = hub.app.get(JobProducer);
  });
  afterAll(async () => {
    await hub.close();
    redis.disconnect();
  });

  const ours = (entityId: string, delayMs: number, jobId?: string) =>
    producer.enqueue(ProbeTopics.Touch, [{ entityId, traceId: 't-delayed' }], {
      coalesceBy: (e) => e.entityId,
      delayMs,
      ...(jobId ? { jobId: () => jobId } : {}),
    });

  it('writes the hash, the delayed score and the wake-up Bull’s add writes', async () => {
    const id = entity();
    const delayedKey = queue().toKey('delayed');
    const subscriber = new Redis({ host: '127.0.0.1', port: 6379 });
    const wakeUps: string[] = [];
    await subscriber.subscribe(delayedKey);
    subscriber.on('message', (_channel, message: string) => wakeUps.push(message));
    try {
      expect(await ours(id, 60_000, `ours-${id}`)).toEqual({ enqueued: 1, coalesced: 0 });
      const mine = await redis.hgetall(queue().toKey(`ours-${id}`));
      const timestamp = Number(mine.timestamp);

      // The same job through Bull, with the same timestamp and dedupe key in its data.
      // (Bull takes `timestamp` as an option; its typings do not list it.)
      const sameTime = { delay: 60_000, jobId: `bull-${id}`, timestamp } as JobOptions;
      await queue().add(
        ProbeTopics.Touch.job,
        {
          entityId: id,
          traceId: 't-delayed',
          dedupeKey: producer.dedupeKey(ProbeTopics.Touch, id),
        },
        sameTime,
      );
      const bulls = await redis.hgetall(queue().toKey(`bull-${id}`));
      expect(mine).toEqual({
        ...bulls,
        opts: bulls.opts.replace(`"jobId":"bull-${id}"`, `"jobId":"ours-${id}"`),
      });
      expect(JSON.parse(mine.opts)).toMatchObject({ attempts: hub.config.queue.attempts });

      // Due at timestamp + delay; the low 12 bits are Bull's job counter.
      const [myScore, bullScore] = await Promise.all([
        redis.zscore(delayedKey, `ours-${id}`),
        redis.zscore(delayedKey, `bull-${id}`),
      ]);
      expect(Math.floor(Number(myScore) / 0x1000)).toBe(timestamp + 60_000);
      expect(Math.floor(Number(bullScore) / 0x1000)).toBe(timestamp + 60_000);

      // Bull reads it back as its own.
      const [a, b] = await Promise.all([
        queue().getJob(`ours-${id}`),
        queue().getJob(`bull-${id}`),
      ]);
      expect(await a!.getState()).toBe('delayed');
      const { id: _a, opts: optsA, ...restA } = a!.toJSON();
      const { id: _b, opts: optsB, ...restB } = b!.toJSON();
      expect(restA).toEqual(restB);
      expect({ ...optsA, jobId: 'x' }).toEqual({ ...optsB, jobId: 'x' });

      // The claim names its job; the workers' delay timers were told when it is due.
      expect(await redis.get(producer.dedupeKey(ProbeTopics.Touch, id))).toMatch(
        new RegExp(`^\\d+\\|ours-${id}$`),
      );
      // Bull's worker publishes on the same channel (its next due time, counter bits included).
      const due = String(timestamp + 60_000);
      await waitFor(() => wakeUps.filter((m) => m === due).length === 2, {
        what: `two wake-ups for ${due}, ours and Bull's: ${wakeUps.join(', ')}`,
      });
    } finally {
      subscriber.disconnect();
      await Promise.all([queue().removeJobs(`ours-${id}`), queue().removeJobs(`bull-${id}`)]);
    }
  });

  it('is run by Bull’s worker once its debounce has passed, and the key is freed', async () => {
    const id = entity();
    const sentAt = Date.now();
    expect(await ours(id, 300)).toEqual({ enqueued: 1, coalesced: 0 });
    const run = await waitFor(() => probe.runs.find((r) => r.entityId === id), {
      timeoutMs: 15_000,
      what: `the run of ${id}`,
    });
    expect(run.start - sentAt).toBeGreaterThanOrEqual(300);
    expect(await redis.exists(producer.dedupeKey(ProbeTopics.Touch, id))).toBe(0);
  });

  it('stores one job per batch and leaves an existing job id alone, as Bull does', async () => {
    const [a, b, c] = [entity(), entity(), entity()];
    await queue().add(
      ProbeTopics.Touch.job,
      { entityId: 'someone-else' },
      { delay: 60_000, jobId: `taken-${b}` },
    );
    try {
      const result = await producer.enqueue(
        ProbeTopics.Touch,
        [a, b, c].map((entityId) => ({ entityId, traceId: 't' })),
        { coalesceBy: (e) => e.entityId, delayMs: 60_000, jobId: (e) => `taken-${e.entityId}` },
      );
      expect(result).toEqual({ enqueued: 3, coalesced: 0 });
      const data = await Promise.all(
        [a, b, c].map((x) => redis.hget(queue().toKey(`taken-${x}`), 'data')),
      );
      expect(data.map((d) => (JSON.parse(d!) as { entityId: string }).entityId)).toEqual([
        a,
        'someone-else',
        c,
      ]);
    } finally {
      await Promise.all([a, b, c].map((x) => queue().removeJobs(`taken-${x}`)));
    }
  });
});
