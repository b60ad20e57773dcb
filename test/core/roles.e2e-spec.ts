import { startHub, postJson, waitFor, type RunningHub } from '../support/hub.js';
import { JobProducer } from '../../src/core/queue/job-producer.service.js';
import { ProbeModule, ProbeTopics, probe } from '../support/probe.module.js';
import { testEnv } from '../support/test-env.js';

describe('APP_ROLE: one api and one worker on one Redis', () => {
  const env = testEnv();
  let api: RunningHub;
  let worker: RunningHub | undefined;

  beforeAll(async () => {
    api = await startHub({ ...env, APP_ROLE: 'api' }, [ProbeModule]);
  });
  afterAll(async () => {
    await api.close();
    await worker?.close();
  });

  it('api accepts webhooks but processes no job; the worker processes them and serves no webhook', async () => {
    probe.reset();
    probe.bump('split');
    expect((await postJson(`${api.url}/probe/webhook`, [{ id: 'split' }])).status).toBe(200);
    // The job is stored and waits: the api took it in but does not process it. Whoever
    // runs it is recorded, so an api that processed it would show up below, with no
    // pause needed to give it the chance.
    const queues = (await (await api.ops('/_console/queues')).json()) as {
      queues: Array<{ name: string; counts: Record<string, number> }>;
    };
    expect(queues.queues.find((q) => q.name === 'probe-entity')?.counts.waiting).toBe(1);
    // And structurally: a processing queue holds a named blocking connection (Bull's
    // `getWorkers`); the api has none on the probe queue.
    const probeQueue = api.app.get(JobProducer).queueFor(ProbeTopics.Touch);
    expect(await probeQueue.getWorkers()).toHaveLength(0);

    worker = await startHub({ ...env, APP_ROLE: 'worker' }, [ProbeModule]);
    await waitFor(() => probe.runs.some((r) => r.entityId === 'split'), {
      what: 'the worker to run the job',
    });
    expect((await probeQueue.getWorkers()).length).toBeGreaterThan(0);
    expect(probe.runs.map((r) => `${r.entityId}@${r.role}`)).toEqual(['split@worker']);

    expect((await postJson(`${worker.url}/probe/webhook`, [{ id: 'x' }])).status).toBe(404);
    expect(
      (
        await fetch(`${worker.url}/_console/functions`, {
          headers: { 'X-Api-Key': env.OPS_API_KEY! },
        })
      ).status,
    ).toBe(404);
    expect((await fetch(`${worker.url}/health/live`)).status).toBe(200);
    expect((await fetch(`${worker.url}/health/ready`)).status).toBe(200);
  });
});
