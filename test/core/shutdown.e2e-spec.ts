import { Redis } from 'ioredis';
import { createApp } from '../../src/app.factory.js';
import { AppConfig } from '../../src/config/app-config.js';
import { JobProducer } from '../../src/core/queue/job-producer.service.js';
import { startHub, waitFor } from '../support/hub.js';
import { deleteKeysWithPrefix } from '../support/redis-keys.js';
import { ProbeModule, ProbeTopics, probe } from '../support/probe.module.js';
import { testEnv } from '../support/test-env.js';

describe('graceful shutdown', () => {
  const redis = new Redis({ host: '127.0.0.1', port: 6379 });
  afterAll(() => redis.disconnect());

  it('lets an active job finish and release its lock before the app closes', async () => {
    probe.reset();
    probe.workMs = 1500;
    const hub = await startHub(testEnv({}, { SHUTDOWN_DRAIN_TIMEOUT_SECONDS: '10' }), [
      ProbeModule,
    ]);
    const lockKey = `${hub.config.queue.prefix}:lock:probe_sync:Probe:draining`;
    await hub.app
      .get(JobProducer)
      .enqueue(ProbeTopics.Touch, [{ entityId: 'draining', traceId: 't' }]);
    await waitFor(async () => (await redis.exists(lockKey)) === 1, {
      what: 'the job to hold its lock',
    });

    const started = Date.now();
    await hub.close();
    expect(probe.runs.map((r) => r.entityId)).toEqual(['draining']);
    expect(Date.now() - started).toBeGreaterThan(500);
    expect(await redis.exists(lockKey)).toBe(0);
  });

  // Bull leaves two promises of a worker's start floating: the CLIENT SETNAME on each
  // queue's blocking connection, and `queue.process()` itself, which rejects (with
  // `undefined`) when that connection ends before it was ready. A hub closed during boot
  // rejected them unhandled, once per queue: the Node 24 CI failure, and in production a
  // crash on a SIGTERM during boot. Jest fails a test on any unhandled rejection; without
  // the fixes this one failed 3 runs of 3 on Node 24 and 1 of 2 on Node 20.
  it('closes right after boot without leaving a rejection behind, 60 times over', async () => {
    const env = testEnv();
    try {
      for (let i = 0; i < 60; i++) {
        // createApp without listen: the smallest window between the workers' start and close.
        const app = await createApp(AppConfig.fromEnv(env), { extraModules: [ProbeModule] });
        await app.close();
      }
      // A rejection of the last close lands in this test, not in the next file's.
      await new Promise((resolve) => setTimeout(resolve, 200));
    } finally {
      await deleteKeysWithPrefix({ host: '127.0.0.1', port: 6379 }, env.QUEUE_PREFIX as string);
    }
  }, 60_000);
});
