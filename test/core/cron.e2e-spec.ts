import { startHub, waitFor, type RunningHub } from '../support/hub.js';
import { ProbeModule, probe } from '../support/probe.module.js';
import { testEnv } from '../support/test-env.js';

describe('cron steps with two instances on one Redis', () => {
  let a: RunningHub;
  let b: RunningHub;

  beforeAll(async () => {
    const env = testEnv(); // one QUEUE_PREFIX: both instances share the queues
    a = await startHub(env, [ProbeModule]);
    b = await startHub(env, [ProbeModule]);
  });
  afterAll(async () => {
    await a.close();
    await b.close();
  });
  beforeEach(() => probe.reset());

  it('runs each tick once although both instances schedule it', async () => {
    // The probe cron fires every second on both instances.
    await waitFor(() => probe.ticks.length >= 4, { timeoutMs: 10_000, what: 'four ticks' });
    const tickTimes = probe.ticks.map((t) => t.tickTime);
    expect(new Set(tickTimes).size).toBe(tickTimes.length);
  });

  it('lists the step and runs it on demand through the console', async () => {
    const functions = (await (await a.ops('/_console/functions')).json()) as {
      functions: Array<{ function_id: string; trigger: { type: string; expression?: string } }>;
    };
    const tick = functions.functions.find((f) => f.function_id === 'probe-tick');
    expect(tick?.trigger).toEqual({ type: 'cron', expression: '*/1 * * * * *' });

    const before = probe.ticks.length;
    const res = await a.ops('/_console/cron/trigger', {
      method: 'POST',
      body: JSON.stringify({ function_id: 'probe-tick' }),
    });
    expect(res.status).toBe(202);
    expect(((await res.json()) as { status: string }).status).toBe('triggered');
    await waitFor(() => probe.ticks.length > before, { what: 'the manual tick' });
  });

  it('answers 404 for an unknown function and 400 for a non-cron step', async () => {
    const post = (id: string) =>
      a.ops('/_console/cron/trigger', {
        method: 'POST',
        body: JSON.stringify({ function_id: id }),
      });
    expect((await post('no-such-step')).status).toBe(404);
    expect((await post('probe-entity-sync')).status).toBe(400);
  });
});
