import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import { startHub, postJson, waitFor, type RunningHub } from '../support/hub.js';
import { ProbeModule, probe } from '../support/probe.module.js';
import { testEnv } from '../support/test-env.js';

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

function startRedis(port: number): Promise<ChildProcess> {
  const proc = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      stdio: 'ignore',
    },
  );
  return waitFor(
    async () => {
      const r = new Redis({
        port,
        lazyConnect: true,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
      });
      try {
        await r.connect();
        return (await r.ping()) === 'PONG' ? proc : undefined;
      } catch {
        return undefined;
      } finally {
        r.disconnect();
      }
    },
    { what: `redis-server on ${port}` },
  );
}

describe('webhook intake while Redis is down (private redis-server)', () => {
  let hub: RunningHub;
  let redis: ChildProcess;
  let port: number;

  beforeAll(async () => {
    port = await freePort();
    redis = await startRedis(port);
    hub = await startHub(testEnv({}, { REDIS_PORT: String(port) }), [ProbeModule]);
  });
  afterAll(async () => {
    await hub.close();
    redis.kill('SIGKILL');
  });
  beforeEach(() => probe.reset());

  it('answers 400 with the reason for a body that can never succeed, and enqueues nothing', async () => {
    const res = await postJson(`${hub.url}/probe/webhook`, { id: 'not-an-array' });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toContain('JSON array');
    const notJson = await postJson(`${hub.url}/probe/webhook`, '[{"id": ');
    expect(notJson.status).toBe(400);
  });

  it('answers 503 while Redis is stopped, acknowledges nothing it did not store, and recovers', async () => {
    const ok = await postJson(`${hub.url}/probe/webhook`, [{ id: 'before' }]);
    expect(ok.status).toBe(200);
    await waitFor(() => probe.runs.some((r) => r.entityId === 'before'), {
      what: 'the first event',
    });

    redis.kill('SIGKILL');
    await waitFor(async () => (await fetch(`${hub.url}/health/ready`)).status === 503, {
      what: 'readiness to fail',
    });
    const during = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        postJson(`${hub.url}/probe/webhook`, [{ id: `during-${i}` }]),
      ),
    );
    expect(during.map((r) => r.status)).toEqual(Array(20).fill(503));
    expect((await fetch(`${hub.url}/health/live`)).status).toBe(200);

    redis = await startRedis(port);
    await waitFor(async () => (await fetch(`${hub.url}/health/ready`)).status === 200, {
      what: 'readiness to return',
    });
    const after = await waitFor(
      async () => {
        const r = await postJson(`${hub.url}/probe/webhook`, [{ id: 'after' }]);
        return r.status === 200 ? r : undefined;
      },
      { what: 'intake to accept again' },
    );
    expect(after.status).toBe(200);
    await waitFor(() => probe.runs.some((r) => r.entityId === 'after'), {
      timeoutMs: 30_000,
      what: 'the event after the outage',
    });
    // Nothing that got a 503 was stored (the redis-server keeps nothing on disk, and none of them ran).
    expect(probe.runs.filter((r) => r.entityId.startsWith('during-'))).toHaveLength(0);
  });
});
