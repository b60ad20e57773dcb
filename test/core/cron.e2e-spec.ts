import { SchedulerRegistry } from '@nestjs/schedule';
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

  it('runs each tick once although both instances schedule it, and each schedules it alone', async () => {
    // The probe cron fires every second on both instances.
    await waitFor(() => probe.ticks.length >= 4, { timeoutMs: 10_000, what: 'four ticks' });

    // Each instance must schedule the step on its own: with only one of them scheduling,
    // ticks go on; with neither (checked last), they would stop. So stop one instance's
    // cron at a time and wait for two ticks the other one scheduled alone.
    const cronOf = (hub: RunningHub) =>
      hub.app.get(SchedulerRegistry).getCronJob('probe-tick') as unknown as {
        isActive: boolean;
        start(): void;
        stop(): unknown;
      };
    const ticksAfter = async (since: number, who: string) =>
      // By tick time: a tick the stopped instance fired just before its stop is older.
      waitFor(() => probe.ticks.filter((t) => Date.parse(t.tickTime) > since).length >= 2, {
        timeoutMs: 10_000,
        what: `two ticks scheduled by ${who} alone`,
      });
    expect([cronOf(a).isActive, cronOf(b).isActive]).toEqual([true, true]);
    await cronOf(a).stop();
    await ticksAfter(Date.now(), 'instance b');
    cronOf(a).start();
    await cronOf(b).stop();
    await ticksAfter(Date.now(), 'instance a');
    cronOf(b).start();

    const tickTimes = probe.ticks.map((t) => t.tickTime);
    expect(tickTimes.length).toBeGreaterThanOrEqual(8);
    expect(new Set(tickTimes).size).toBe(tickTimes.length);
  }, 40_000);

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
