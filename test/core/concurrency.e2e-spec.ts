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
      // The most runs at one instant (a sweep over starts and ends; an end at the same
      // millisecond as a start frees its slot first). Not "runs overlapping one run":
      // a long run overlaps the runs before and after a slot changed hands.
      const events = probe.runs
        .flatMap((r) => [
          { at: r.start, d: 1 },
          { at: r.end, d: -1 },
        ])
        .sort((x, y) => x.at - y.at || x.d - y.d);
      let running = 0;
      let peak = 0;
      for (const e of events) peak = Math.max(peak, (running += e.d));
      expect(peak).toBe(3);
    } finally {
      await hub.close();
    }
  });
});
