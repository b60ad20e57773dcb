import { randomBytes } from 'node:crypto';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import {
  ADVOWARE_TOKEN_PATH,
  type AdvowareFake,
  startAdvowareFake,
} from './fakes/advoware/advoware.fake.js';
import { MetricsServer } from '../src/console/metrics-server.service.js';
import { type RunningHub, startHub } from './support/hub.js';
import { TEST_SECRETS, testEnv } from './support/test-env.js';

/**
 * Issue 16, item 1: metric labels must not grow with what unauthenticated callers put
 * in a path. Before the fix, 300 POSTs to `/x/webhook/<random>` made 300 series; a few
 * thousand crashed a 192 MB process. Here thousands of distinct paths (webhook-looking
 * 404s and random proxy endpoints) must leave the series and the retained heap flat.
 */
const [PROXY_KEY] = TEST_SECRETS.PROXY_API_KEYS.split(',');
const BURST = 3000;
const PARALLEL = 16;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function retainedHeap(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

const random = (bytes: number) => randomBytes(bytes).toString('hex');

async function inParallel(count: number, fire: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: PARALLEL }, async () => {
      while (next < count) await fire(next++);
    }),
  );
}

/** The series of the two metrics that used to take raw paths, as `name{labels}` lines. */
function series(text: string): string[] {
  return text
    .split('\n')
    .filter(
      (l) =>
        l.startsWith('hub_webhook_requests_total{') ||
        l.startsWith('hub_upstream_request_duration_seconds_count{'),
    )
    .map((l) => l.slice(0, l.lastIndexOf(' ')));
}

describe('metric labels stay bounded under random paths', () => {
  let fake: AdvowareFake;
  let hub: RunningHub;

  beforeAll(async () => {
    fake = await startAdvowareFake({ logBodies: false });
    hub = await startHub(
      testEnv(
        { advoware: fake.url, advowareAuth: `${fake.url}${ADVOWARE_TOKEN_PATH}` },
        {
          PROXY_RATE_LIMIT_PER_MINUTE: '1000000',
          // The test compares the series before and after its burst: a quarter-hour cron
          // tick in between (its calls to an EspoCRM that is not there) would add some.
          VMH_BETEILIGTE_SYNC_CRON: '0 0 0 1 1 *',
          CALENDAR_SYNC_CRON: '0 0 0 1 1 *',
        },
      ),
    );
  });

  afterAll(async () => {
    await hub?.close();
    await fake?.close();
  });

  const webhookNoise = () =>
    fetch(`${hub.url}/x/webhook/${random(350)}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '[{"id":"x"}]',
    }).then((r) => r.arrayBuffer());
  const proxyNoise = (i: number) =>
    fetch(
      `${hub.url}/advoware/proxy?endpoint=api/v1/advonet/${i % 2 ? 'Zz' : 'x'}${random(8)}/${random(4)}`,
      {
        headers: { 'X-Api-Key': PROXY_KEY },
      },
    ).then((r) => r.arrayBuffer());

  async function metrics(): Promise<string> {
    return (await hub.ops('/metrics')).text();
  }

  it(`keeps the series and the heap flat over ${BURST} random webhook paths and ${BURST} random proxy endpoints`, async () => {
    // Warm-up: every label value this traffic can produce exists afterwards.
    await inParallel(200, (i) => (i % 2 ? webhookNoise() : proxyNoise(i)));
    const before = await metrics();
    const seriesBefore = series(before);
    // The fake's request log is test machinery, not the hub's heap.
    fake.reset();
    const heapBefore = retainedHeap();

    await inParallel(BURST, webhookNoise);
    await inParallel(BURST, proxyNoise);

    const after = await metrics();
    fake.reset();
    const heapAfter = retainedHeap();
    const seriesAfter = series(after);

    const grownMb = (heapAfter - heapBefore) / 1024 / 1024;
    process.stdout.write(
      `metrics: ${seriesBefore.length} series before and ${seriesAfter.length} after; ` +
        `/metrics ${before.length} → ${after.length} bytes; retained heap +${grownMb.toFixed(1)} MB\n`,
    );
    // The traffic was counted (the test would pass trivially if nothing were recorded) ...
    const webhookCount = Number(
      /hub_webhook_requests_total\{route="other",status="404"\} (\d+)/.exec(after)?.[1],
    );
    expect(webhookCount).toBeGreaterThanOrEqual(BURST);
    expect(after).toMatch(
      /hub_upstream_request_duration_seconds_count\{system="advoware",route="proxy",method="GET",status="404"\} \d+/,
    );
    // ... under the same few labels as before the burst, and no path reached a label.
    expect(seriesAfter).toEqual(seriesBefore);
    expect(after).not.toMatch(/route="[^"]*(webhook\/[0-9a-f]{20}|Zz[0-9a-f])/);
    expect(after.length - before.length).toBeLessThan(2048);
    // Retained heap after a full GC: 6,000 distinct paths leave nothing behind worth
    // naming (before the fix, each kept a label set and its text in the registry).
    expect(grownMb).toBeLessThan(6);
  }, 180_000);
});

describe('the keyless metrics port', () => {
  async function freePort(): Promise<number> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    return port;
  }

  it.each([
    [undefined, '127.0.0.1'],
    ['0.0.0.0', '0.0.0.0'],
  ])('binds to METRICS_HOST=%s as %s', async (host, bound) => {
    const port = await freePort();
    const hub = await startHub(testEnv({}, { METRICS_PORT: String(port), METRICS_HOST: host }));
    try {
      const server = (hub.app.get(MetricsServer) as unknown as { server: Server }).server;
      expect(server.address()).toMatchObject({ address: bound, port });
      const res = await fetch(`http://127.0.0.1:${port}/metrics`);
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('hub_webhook_requests_total');
    } finally {
      await hub.close();
    }
  });
});
