import { startHub, type RunningHub } from '../support/hub.js';
import { testEnv } from '../support/test-env.js';

describe('hub boot', () => {
  let hub: RunningHub;
  beforeAll(async () => {
    hub = await startHub(testEnv());
  });
  afterAll(() => hub.close());

  it('answers liveness and readiness', async () => {
    expect((await fetch(`${hub.url}/health/live`)).status).toBe(200);
    const ready = await fetch(`${hub.url}/health/ready`);
    expect(ready.status).toBe(200);
    expect(
      ((await ready.json()) as { info: { redis: { status: string } } }).info.redis.status,
    ).toBe('up');
  });

  it('serves Swagger UI and the OpenAPI document', async () => {
    expect((await fetch(`${hub.url}/api/docs`)).status).toBe(200);
    const doc = (await (await fetch(`${hub.url}/api/docs-json`)).json()) as {
      paths: Record<string, unknown>;
    };
    expect(Object.keys(doc.paths)).toContain('/_console/functions');
  });

  it('guards the console with the ops key', async () => {
    expect((await fetch(`${hub.url}/_console/functions`)).status).toBe(401);
    expect(
      (await fetch(`${hub.url}/_console/functions`, { headers: { 'X-Api-Key': 'wrong' } })).status,
    ).toBe(401);
    expect((await hub.ops('/_console/functions')).status).toBe(200);
  });
});

describe('hub boot with Swagger and the queue dashboard switched off', () => {
  let hub: RunningHub;
  beforeAll(async () => {
    hub = await startHub(
      testEnv({}, { SWAGGER_ENABLED: 'false', QUEUE_DASHBOARD_ENABLED: 'false' }),
    );
  });
  afterAll(() => hub.close());

  it('serves neither', async () => {
    expect((await fetch(`${hub.url}/api/docs`)).status).toBe(404);
    expect((await fetch(`${hub.url}/api/docs-json`)).status).toBe(404);
    expect((await hub.ops('/_console/queues/ui')).status).toBe(404);
    expect((await hub.ops('/_console/functions')).status).toBe(200);
  });
});
