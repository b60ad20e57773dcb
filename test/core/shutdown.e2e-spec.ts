import { Redis } from 'ioredis';
import { JobProducer } from '../../src/core/queue/job-producer.service.js';
import { startHub, waitFor } from '../support/hub.js';
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
});
