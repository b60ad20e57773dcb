import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ADVOWARE_TOKEN_PATH,
  type AdvowareFake,
  startAdvowareFake,
} from '../fakes/advoware/advoware.fake.js';
import { TEST_SECRETS, testEnv } from '../support/test-env.js';
import { CHAOS_SECRETS, testSecretNeedles } from './support/chaos-stack.js';
import { reportFigures, scenarioDir, secondsSince } from './support/chaos-run.js';
import { startPrivateRedis, type PrivateRedis } from './support/private-redis.js';
import { jobKeys, startInProcessHub, type InProcessHub } from './support/scenario-kit.js';

/**
 * Scenario 6: generated malformed webhook bodies and proxy SSRF variants. Every one
 * must get a 4xx, none may put a job into Redis or reach Advoware, and the process
 * must stay up. The hub has a Redis of its own, so "no job" counts every job hash in
 * it, whatever its id, and the debug log joins scenario 8's scan.
 */
const WEBHOOKS = [
  '/vmh/webhook/beteiligte/create',
  '/vmh/webhook/beteiligte/update',
  '/vmh/webhook/beteiligte/delete',
  '/vmh/webhook/bankverbindungen/create',
  '/vmh/webhook/bankverbindungen/update',
  '/vmh/webhook/bankverbindungen/delete',
  '/vmh/webhook/document/create',
  '/vmh/webhook/document/update',
  '/vmh/webhook/document/delete',
  '/vmh/webhook/entity/link',
  '/vmh/webhook/entity/unlink',
];

interface BadBody {
  kind: string;
  body: Buffer | string;
  contentType: string;
}

/** A small seeded generator, so a failure names a reproducible case. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function generate(seed: number): BadBody[] {
  const r = rng(seed);
  const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)];
  const json = 'application/json';
  const out: BadBody[] = [];
  const notJson = [
    '{',
    '[',
    '[{"id":',
    '[{"id":"abc"}',
    'id=abc',
    'null,',
    '[1,]',
    "[{'id':'a'}]",
    '\u0000',
    'NaN',
  ];
  const wrongTypes: unknown[] = [
    {},
    { id: 'abc' },
    'abc',
    42,
    true,
    null,
    [null],
    [1, 2, 3],
    ['abc'],
    [[{ id: 'abc' }]],
    [{ id: 42 }],
    [{ id: null }],
    [{ id: ['abc'] }],
    [{ id: { $ne: null } }],
    [{ id: '' }],
    [{ id: '../../etc/passwd' }],
    [{ id: 'a b' }],
    [{ id: 'x'.repeat(65) }],
    [{ id: 'abc' }, 'def'],
    [{ entityType: 'CVmhRaeumungsklage' }],
  ];
  for (let i = 0; i < 120; i++) {
    out.push({
      kind: 'not JSON',
      body: pick(notJson) + 'x'.repeat(Math.floor(r() * 5)),
      contentType: json,
    });
  }
  for (let i = 0; i < 160; i++) {
    out.push({ kind: 'wrong types', body: JSON.stringify(pick(wrongTypes)), contentType: json });
  }
  for (let i = 0; i < 60; i++) {
    const items = Array.from({ length: 1 + Math.floor(r() * 5) }, () =>
      r() < 0.5 ? {} : { name: 'x' },
    );
    out.push({ kind: 'missing ids', body: JSON.stringify(items), contentType: json });
  }
  for (let i = 0; i < 40; i++) {
    const depth = 1000 + Math.floor(r() * 50_000);
    out.push({
      kind: 'deeply nested',
      body: '['.repeat(depth) + ']'.repeat(depth),
      contentType: json,
    });
  }
  for (let i = 0; i < 40; i++) {
    const bytes = Buffer.concat([
      Buffer.from('[{"id":"'),
      Buffer.from([0xff, 0xfe, 0xc0, 0xaf]),
      Buffer.from('"}]'),
    ]);
    out.push({ kind: 'invalid UTF-8', body: bytes, contentType: json });
  }
  for (let i = 0; i < 60; i++) {
    out.push({
      kind: 'wrong content type',
      body: JSON.stringify([{ id: `abc${i}` }]),
      contentType: pick([
        'text/plain',
        'application/x-www-form-urlencoded',
        'text/xml',
        'application/octet-stream',
      ]),
    });
  }
  for (let i = 0; i < 20; i++) {
    const items = Array.from({ length: 1001 }, (_, k) => ({ id: `id${k}` }));
    out.push({ kind: 'huge batch', body: JSON.stringify(items), contentType: json });
  }
  for (let i = 0; i < 10; i++) {
    out.push({
      kind: '2 MB',
      body: JSON.stringify([{ id: 'abc', pad: 'x'.repeat(2 * 1024 * 1024) }]),
      contentType: json,
    });
  }
  return out;
}

describe('scenario 6: bad input', () => {
  const dir = scenarioDir('6-bad-input');
  const seed = Number(process.env.CHAOS_SEED ?? 6006);
  let hub: InProcessHub;
  let advoware: AdvowareFake;
  let redis: PrivateRedis;

  beforeAll(async () => {
    advoware = await startAdvowareFake();
    redis = await startPrivateRedis({ password: CHAOS_SECRETS.REDIS_PASSWORD });
    hub = await startInProcessHub(
      testEnv(
        { advoware: advoware.url, advowareAuth: `${advoware.url}${ADVOWARE_TOKEN_PATH}` },
        {
          APP_ROLE: 'api',
          PROXY_RATE_LIMIT_PER_MINUTE: '100000',
          REDIS_PORT: String(redis.port),
          REDIS_PASSWORD: CHAOS_SECRETS.REDIS_PASSWORD,
          LOG_LEVEL: 'debug',
          LOG_FORMAT: 'json',
        },
      ),
      dir,
      'hub',
    );
  });
  afterAll(async () => {
    writeFileSync(join(dir, 'needles.json'), JSON.stringify(testSecretNeedles()));
    await hub?.close();
    await advoware?.close();
    await redis?.stop();
  });

  it(`answers every malformed body 4xx, enqueues nothing and stays up (seed ${seed})`, async () => {
    const started = Date.now();
    const cases = generate(seed);
    expect(cases.length).toBeGreaterThanOrEqual(500);
    const wrong: string[] = [];
    const byStatus = new Map<number, number>();
    for (let i = 0; i < cases.length; i++) {
      const c = cases[i];
      const route = WEBHOOKS[i % WEBHOOKS.length];
      const res = await fetch(`${hub.url}${route}`, {
        method: 'POST',
        headers: { 'Content-Type': c.contentType },
        body: c.body,
      });
      await res.arrayBuffer();
      byStatus.set(res.status, (byStatus.get(res.status) ?? 0) + 1);
      if (res.status < 400 || res.status >= 500)
        wrong.push(`#${i} ${c.kind} → ${route}: ${res.status}`);
    }
    expect(wrong).toEqual([]);

    const prefix = hub.config.queue.prefix;
    const jobs = (await jobKeys(redis.client, prefix)).length;
    const dedupeKeys = (await redis.client.keys(`${prefix}:dedupe:*`)).length;
    expect(jobs).toBe(0);
    expect(dedupeKeys).toBe(0);
    expect((await fetch(`${hub.url}/health/live`)).status).toBe(200);

    const host = new URL(advoware.url).host;
    const ssrf = [
      `endpoint=${encodeURIComponent(`http://${host}/api/v1/advonet/Mitarbeiter`)}`,
      'endpoint=HTTPS://evil.example/',
      `endpoint=//${host}/api/v1/advonet/Mitarbeiter`,
      'endpoint=..%2F..%2Fapi%2Fv1%2FToken',
      'endpoint=api/v1/advonet/%2e%2e/%2e%2e/api/v1/Token',
      'endpoint=api/v1/advonet/%252e%252e/Token',
      'endpoint=api/v1/advonet/%c0%ae%c0%ae/Token',
      'endpoint=%5C%5Cevil.example%5Cshare',
      'endpoint=api/v1/advonet/%00/Mitarbeiter',
      'endpoint=api/v1/advonet/Mitarbeiter%0d%0aHost:%20evil.example',
      'endpoint=evil.example%40127.0.0.1/x',
      'endpoint=127.0.0.1:6379/x',
    ];
    const [proxyKey] = TEST_SECRETS.PROXY_API_KEYS.split(',');
    const ssrfWrong: string[] = [];
    for (const q of ssrf) {
      const res = await fetch(`${hub.url}/advoware/proxy?${q}`, {
        headers: { 'X-Api-Key': proxyKey },
      });
      await res.arrayBuffer();
      if (res.status < 400 || res.status >= 500) ssrfWrong.push(`${q}: ${res.status}`);
    }
    expect(ssrfWrong).toEqual([]);
    expect(advoware.requests).toHaveLength(0);

    reportFigures({
      n: 6,
      title: 'Bad input',
      figures: [
        ['malformed bodies', cases.length],
        ['answered 4xx', cases.length - wrong.length],
        ['by status', [...byStatus].map(([s, n]) => `${s}×${n}`).join(' ')],
        ['jobs enqueued', jobs],
        ['SSRF variants 4xx', `${ssrf.length - ssrfWrong.length}/${ssrf.length}`],
        ['requests reaching Advoware', advoware.requests.length],
        ['seed', seed],
      ],
      seconds: secondsSince(started),
    });
  });
});
