import { Redis } from 'ioredis';
import { startEspoCrmFake, type EspoCrmFake } from '../fakes/espocrm/espocrm.fake.js';
import { startHub, postJson, waitFor, type RunningHub } from '../support/hub.js';
import { ProbeModule, probe } from '../support/probe.module.js';
import { testEnv } from '../support/test-env.js';

interface Overview {
  flows: Array<{
    name: string;
    columns: Array<
      Array<{
        function_id: string;
        trigger: { type: string };
        nextRun?: { berlin: string };
        counts?: {
          waiting: number;
          active: number;
          completedLastHour: number;
          failedLastHour: number;
        };
        lastError?: { reason: string; traceId?: string; at: number };
      }>
    >;
  }>;
  deadLetters: Array<{ queue: string; total: number; jobs: Array<{ id: string }> }>;
}

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

  const basic = (user: string, password: string) =>
    `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

  it('refuses every console route without the ops credentials, and takes the header or Basic', async () => {
    const paths = [
      '/_console/functions',
      '/_console/queues',
      '/_console/sync/CBeteiligte/abc',
      '/_console/overview',
      '/_console/live',
      '/_console/',
      '/metrics',
      '/_console/queues/ui',
      '/_console/queues/ui/api/queues',
    ];
    for (const path of paths) {
      expect({ path, status: (await fetch(`${hub.url}${path}`)).status }).toEqual({
        path,
        status: 401,
      });
      const wrong = await fetch(`${hub.url}${path}`, {
        headers: { Authorization: basic('ops', 'wrong-key-0123456789') },
      });
      expect({ path, status: wrong.status }).toEqual({ path, status: 401 });
      const otherUser = await fetch(`${hub.url}${path}`, {
        headers: { Authorization: basic('admin', hub.config.opsApiKey) },
      });
      expect({ path, status: otherUser.status }).toEqual({ path, status: 401 });
      const good: Array<Record<string, string>> = [
        { 'X-Api-Key': hub.config.opsApiKey },
        { Authorization: basic('ops', hub.config.opsApiKey) },
      ];
      for (const headers of good) {
        const ok = await fetch(`${hub.url}${path}`, { headers });
        expect({ path, status: ok.status }).toEqual({ path, status: 200 });
      }
    }
  });

  it('asks a browser for Basic credentials on the pages, and ignores a key in the URL', async () => {
    for (const path of ['/_console/', '/_console/queues/ui', '/_console/queues/ui/api/queues']) {
      const res = await fetch(`${hub.url}${path}`);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Basic realm="bitbylaw-hub ops"/);
    }
    const key = encodeURIComponent(hub.config.opsApiKey);
    for (const path of ['/_console/queues/ui', '/_console/queues/ui/api/queues', '/_console/']) {
      expect((await fetch(`${hub.url}${path}?key=${key}`)).status).toBe(401);
    }
    // bull-board's own static files sit behind the same check.
    const html = await (
      await fetch(`${hub.url}/_console/queues/ui`, {
        headers: { Authorization: basic('ops', hub.config.opsApiKey) },
      })
    ).text();
    // Relative to <base href="/_console/queues/ui/">.
    const relative = /src="(static\/js\/[^"]+)"/.exec(html)?.[1];
    expect(relative).toBeDefined();
    const asset = `/_console/queues/ui/${relative}`;
    expect((await fetch(`${hub.url}${asset}`)).status).toBe(401);
    expect(
      (
        await fetch(`${hub.url}${asset}`, {
          headers: { Authorization: basic('ops', hub.config.opsApiKey) },
        })
      ).status,
    ).toBe(200);
    // The JSON endpoints answer 401 without a challenge: a failed fetch must not pop up a dialog.
    expect(
      (await fetch(`${hub.url}/_console/overview`)).headers.get('www-authenticate'),
    ).toBeNull();
  });

  it("runs a cron step by the old hub's id (steps::<name>::trigger::0) and refuses unknown ones", async () => {
    const functions = (await (await hub.ops('/_console/functions')).json()) as {
      functions: Array<{ function_id: string; name: string }>;
    };
    expect(functions.functions.map((f) => f.name)).toContain('VMH Beteiligte Sync Check');
    const res = await hub.ops('/_console/cron/trigger', {
      method: 'POST',
      body: JSON.stringify({ function_id: 'steps::VMH Beteiligte Sync Cron::trigger::0' }),
    });
    expect(res.status).toBe(202);
    const body = (await res.json()) as { function_id: string; job_id: string; alias_of: string };
    expect(body.function_id).toBe('vmh-beteiligte-sync-check');
    expect(body.alias_of).toBe('steps::VMH Beteiligte Sync Cron::trigger::0');
    // The Beteiligte check ran: it asked the EspoCRM fake for parties to look at.
    await waitFor(
      () => espocrm.requests.some((r) => r.method === 'GET' && r.path === '/api/v1/CBeteiligte'),
      { what: 'the Beteiligte check asking EspoCRM' },
    );
    const job = await waitFor(
      async () => {
        const overview = (await (await hub.ops('/_console/overview')).json()) as Overview;
        const step = overview.flows
          .flatMap((f) => f.columns.flat())
          .find((s) => s.function_id === 'vmh-beteiligte-sync-check');
        return (step?.counts?.completedLastHour ?? 0) >= 1 ? step : undefined;
      },
      { what: 'the aliased tick counted as completed' },
    );
    expect(job.trigger.type).toBe('cron');

    for (const [function_id, status] of [
      ['steps::No Such Step::trigger::0', 404],
      ['steps::VMH Beteiligte Sync Cron::trigger::1', 404],
      ['steps::VMH Beteiligte Sync::trigger::0', 400], // a queue step, not a cron
      ['steps::x::y', 400],
    ] as const) {
      const r = await hub.ops('/_console/cron/trigger', {
        method: 'POST',
        body: JSON.stringify({ function_id }),
      });
      expect({ function_id, status: r.status }).toEqual({ function_id, status });
    }
  });

  it('lists a step added as the README says, runs it under its lock and reports its final failure only', async () => {
    const { functions } = (await (await hub.ops('/_console/functions')).json()) as {
      functions: Array<{ function_id: string; trigger: unknown; flows: string[] }>;
    };
    expect(functions.find((f) => f.function_id === 'probe-entity-archive')).toMatchObject({
      flows: ['probe-archive'],
      trigger: { type: 'queue', topics: ['probe.archive.entity'] },
    });
    const invoke = (entityId: string) =>
      hub.ops('/_console/invoke', {
        method: 'POST',
        body: JSON.stringify({ function_id: 'probe-entity-archive', data: { entityId } }),
      });
    probe.workMs = 5;
    expect((await invoke('arch1')).status).toBe(202);
    const archived = await waitFor(() => probe.archived.find((a) => a.entityId === 'arch1'), {
      what: 'the archive run',
    });
    expect(archived.archived).toBe(true); // built by the @Process payload option

    probe.failNext = 2; // both attempts fail: the hook runs once, after the last
    expect((await invoke('arch2')).status).toBe(202);
    await waitFor(() => probe.finalFailures.find((f) => f.entityId === 'arch2'), {
      what: 'the final failure hook',
    });
    expect(probe.finalFailures).toEqual([{ entityId: 'arch2', error: 'probe archive failure' }]);
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

  it('gives the page its figures: failed attempts, the last error with its trace, dead letters, then the completed run', async () => {
    const probeStep = async () => {
      const o = (await (await hub.ops('/_console/overview')).json()) as Overview;
      const flow = o.flows.find((f) => f.name === 'probe');
      return {
        o,
        flow,
        step: flow?.columns.flat().find((s) => s.function_id === 'probe-entity-sync'),
      };
    };
    probe.workMs = 5;
    probe.failNext = 2;
    probe.bump('figures');
    const before = (await probeStep()).step?.counts ?? { failedLastHour: 0, completedLastHour: 0 };
    await hub.ops('/_console/invoke', {
      method: 'POST',
      body: JSON.stringify({ function_id: 'probe-entity-sync', data: { entityId: 'figures' } }),
    });
    const { o, step } = await waitFor(
      async () => {
        const r = await probeStep();
        const dead = r.o.deadLetters.find((d) => d.queue === 'probe-entity');
        const counted = (r.step?.counts?.failedLastHour ?? 0) - before.failedLastHour >= 2;
        return dead && dead.total >= 1 && counted ? r : undefined;
      },
      { what: 'the dead letter in the overview' },
    );
    const dead = o.deadLetters.find((d) => d.queue === 'probe-entity')!;
    const failed = (await (await hub.ops('/_console/queues/probe-entity/failed')).json()) as {
      jobs: JobView[];
    };
    const job = failed.jobs.find((j) => j.data.entityId === 'figures')!;
    expect(dead.jobs.map((j) => j.id)).toContain(job.id);
    expect(step!.counts!.failedLastHour - before.failedLastHour).toBe(2); // both attempts
    expect(step?.lastError?.reason).toContain('probe transient failure');
    expect(step?.lastError?.traceId).toBe(job.traceId);

    await hub.ops(`/_console/queues/probe-entity/jobs/${job.id}/retry`, { method: 'POST' });
    const after = await waitFor(
      async () => {
        const r = await probeStep();
        return (r.step?.counts?.completedLastHour ?? 0) > before.completedLastHour ? r : undefined;
      },
      { what: 'the retried run counted as completed' },
    );
    // The webhook starts the probe flow, the queue step follows it (left to right).
    expect(after.flow?.columns.map((c) => c.map((s) => s.function_id))).toEqual([
      ['probe-webhook', 'probe-tick'],
      ['probe-entity-sync'],
    ]);
    const tick = after.flow?.columns[0].find((s) => s.function_id === 'probe-tick');
    expect(tick?.nextRun?.berlin).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
  });

  it('renders the page with every step of /_console/functions, grouped by flow', async () => {
    const functions = (await (await hub.ops('/_console/functions')).json()) as {
      functions: Array<{ function_id: string; flows: string[] }>;
    };
    const res = await fetch(`${hub.url}/_console/`, {
      headers: { Authorization: basic('ops', hub.config.opsApiKey) },
    });
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const html = await res.text();
    for (const f of functions.functions) {
      for (const flow of f.flows) {
        const section = html
          .split(`<section class="flow" data-flow="${flow}">`)[1]
          ?.split('</section>')[0];
        expect({
          f: f.function_id,
          flow,
          inFlow: section?.includes(`data-function-id="${f.function_id}"`),
        }).toEqual({
          f: f.function_id,
          flow,
          inFlow: true,
        });
      }
    }
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
