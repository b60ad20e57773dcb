import { JobProducer } from '../../src/core/queue/job-producer.service.js';
import { startHub, waitFor } from '../support/hub.js';
import { ProbeModule, ProbeTopics, probe } from '../support/probe.module.js';
import { testEnv } from '../support/test-env.js';

describe('worker concurrency', () => {
  it('runs at most WORKER_CONCURRENCY jobs of a queue at once, whatever the number of job names', async () => {
    probe.reset();
    probe.workMs = 150;
    const hub = await startHub(testEnv({}, { WORKER_CONCURRENCY: '3' }), [ProbeModule]);
    try {
      const producer = hub.app.get(JobProducer);
      const ids = Array.from({ length: 12 }, (_, i) => `c${i}`);
      await producer.enqueue(
        ProbeTopics.Touch,
        ids.slice(0, 6).map((entityId) => ({ entityId, traceId: 't' })),
      );
      await producer.enqueue(
        ProbeTopics.Poke,
        ids.slice(6).map((entityId) => ({ entityId, traceId: 't' })),
      );
      await waitFor(() => probe.runs.length === 12, { what: 'all twelve runs' });
      const peak = Math.max(
        ...probe.runs.map(
          (a) => probe.runs.filter((b) => b.start < a.end && a.start < b.end).length,
        ),
      );
      expect(peak).toBe(3);
    } finally {
      await hub.close();
    }
  });
});
