import { Redis } from 'ioredis';
import { startEspoCrmFake, type EspoCrmFake } from '../fakes/espocrm/espocrm.fake.js';
import { startHub, postJson, waitFor, type RunningHub } from '../support/hub.js';
import { ProbeModule, probe } from '../support/probe.module.js';
import { testEnv } from '../support/test-env.js';

interface JobView {
  id: string;
  failedReason?: string;
  traceId?: string;
  attemptsMade: number;
  data: { entityId: string };
}

describe('operations console', () => {
  let hub: RunningHub;
  let espocrm: EspoCrmFake;
  const redis = new Redis({ host: '127.0.0.1', port: 6379 });

  beforeAll(async () => {
    espocrm = await startEspoCrmFake();
    hub = await startHub(testEnv({ espocrm: `${espocrm.url}/api/v1` }, { JOB_ATTEMPTS: '2' }), [
      ProbeModule,
    ]);
  });
  afterAll(async () => {
    await hub.close();
    await espocrm.close();
    redis.disconnect();
  });
  beforeEach(() => probe.reset());

  it('refuses every console route without the ops key', async () => {
    for (const path of [
      '/_console/functions',
      '/_console/queues',
      '/_console/sync/CBeteiligte/abc',
      '/metrics',
      '/_console/queues/ui',
    ]) {
      expect((await fetch(`${hub.url}${path}`)).status).toBe(401);
    }
    expect(
      (
        await fetch(`${hub.url}/_console/queues/ui`, {
          headers: { 'X-Api-Key': hub.config.opsApiKey },
        })
      ).status,
    ).toBe(200);
  });

  it('lists queues with counts, and a failed job can be found, read, retried and then succeeds', async () => {
    probe.workMs = 5;
    probe.failNext = 2; // both attempts fail → the job lands in the failed set
    probe.bump('broken');
    const res = await hub.ops('/_console/invoke', {
      method: 'POST',
      body: JSON.stringify({ function_id: 'probe-entity-sync', data: { entityId: 'broken' } }),
    });
    expect(res.status).toBe(202);

    const failed = await waitFor(
      async () => {
        const body = (await (await hub.ops('/_console/queues/probe-entity/failed')).json()) as {
          jobs: JobView[];
        };
        return body.jobs.find((j) => j.data.entityId === 'broken');
      },
      { what: 'the dead letter' },
    );
    expect(failed.failedReason).toContain('probe transient failure');
    expect(failed.attemptsMade).toBe(2);
    expect(failed.traceId).toBeTruthy();

    const queues = (await (await hub.ops('/_console/queues')).json()) as {
      queues: Array<{ name: string; counts: Record<string, number> }>;
    };
    expect(queues.queues.find((q) => q.name === 'probe-entity')?.counts.failed).toBe(1);

    const status = (await (await hub.ops('/_console/sync/CBeteiligte/broken')).json()) as {
      lastErrors: Array<{ reason: string }>;
    };
    expect(status.lastErrors[0].reason).toContain('probe transient failure');

    const retry = await hub.ops(`/_console/queues/probe-entity/jobs/${failed.id}/retry`, {
      method: 'POST',
    });
    expect(retry.status).toBe(201);
    await waitFor(() => probe.runs.some((r) => r.entityId === 'broken'), {
      what: 'the retried job',
    });
  });

  it('refuses an invoke whose data the producer would refuse', async () => {
    const res = await hub.ops('/_console/invoke', {
      method: 'POST',
      body: JSON.stringify({ function_id: 'probe-entity-sync', data: { entityId: '../x' } }),
    });
    expect(res.status).toBe(400);
    const notQueue = await hub.ops('/_console/invoke', {
      method: 'POST',
      body: JSON.stringify({ function_id: 'probe-tick', data: {} }),
    });
    expect(notQueue.status).toBe(400);
  });

  it('shows the sync fields of a synced entity and a held lock', async () => {
    espocrm.seed({
      records: {
        CBeteiligte: [{ id: 'synced1', name: 'Muster GmbH', syncStatus: 'clean', betnr: 1001 }],
      },
    });
    await redis.set(
      `${hub.config.queue.prefix}:lock:beteiligte_sync:CBeteiligte:synced1`,
      'someone',
      'PX',
      5000,
    );
    const status = (await (await hub.ops('/_console/sync/CBeteiligte/synced1')).json()) as {
      exists: boolean;
      sync: { syncStatus: string };
      references: { advoware: number };
      locks: Array<{ key: string; held: boolean; ttlMs: number }>;
    };
    expect(status.exists).toBe(true);
    expect(status.sync.syncStatus).toBe('clean');
    expect(status.references.advoware).toBe(1001);
    const lock = status.locks.find((l) => l.key === 'beteiligte_sync:CBeteiligte:synced1');
    expect(lock?.held).toBe(true);
    expect(lock?.ttlMs).toBeGreaterThan(0);
  });

  it('exposes Prometheus metrics that count jobs and webhooks', async () => {
    await postJson(`${hub.url}/probe/webhook`, [{ id: 'metered' }]);
    await waitFor(() => probe.runs.some((r) => r.entityId === 'metered'), {
      what: 'the metered job',
    });
    const text = await (await hub.ops('/metrics')).text();
    expect(text).toMatch(
      /hub_jobs_total\{queue="probe-entity",job="touch",outcome="completed"\} [1-9]/,
    );
    expect(text).toMatch(
      /hub_webhook_requests_total\{route="\/probe\/webhook",status="200"\} [1-9]/,
    );
    expect(text).toContain('hub_entity_lock_total');
  });
});
