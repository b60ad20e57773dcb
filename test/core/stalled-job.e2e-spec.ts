import Bull from 'bull';
import { STALLED_CHECK_MS } from '../../src/core/queue/queue.module.js';
import { startHub, waitFor, type RunningHub } from '../support/hub.js';
import { ProbeModule, ProbeQueue, ProbeTopics, probe } from '../support/probe.module.js';
import { testEnv } from '../support/test-env.js';

/**
 * Bull takes a job by moving it from `wait` to `active`, then locks it. A Redis crash
 * between the two (or a worker killed there) leaves the job in `active` with no lock
 * and no worker: only Bull's stalled check hands it back, on its second pass. With
 * Bull's 30 s default that took up to a minute (intake-outage failed CI once on it).
 */
describe('a job left in active without a lock', () => {
  let hub: RunningHub | undefined;
  let queue: Bull.Queue | undefined;

  afterAll(async () => {
    await queue?.close();
    await hub?.close();
  });

  it('is run within two stalled checks once a hub is up', async () => {
    probe.reset();
    const env = testEnv();
    queue = new Bull(ProbeQueue, {
      prefix: env.QUEUE_PREFIX,
      redis: { host: env.REDIS_HOST, port: Number(env.REDIS_PORT) },
    });
    await queue.add(ProbeTopics.Touch.job, { entityId: 'orphan-1', traceId: 'stalled' });
    // What Bull's BRPOPLPUSH does before its worker locks the job: moved, never locked.
    expect(await queue.client.rpoplpush(queue.toKey('wait'), queue.toKey('active'))).toBeTruthy();

    hub = await startHub(env, [ProbeModule]);
    // The first pass (at start) marks it, the next one moves it back to `wait`.
    await waitFor(() => probe.runs.some((r) => r.entityId === 'orphan-1'), {
      timeoutMs: 15_000,
      what: `the orphaned job to run (stalled check every ${STALLED_CHECK_MS} ms)`,
    });
  }, 30_000);
});
