import type { Redis } from 'ioredis';
import { REDIS, REDIS_CACHE } from '../src/core/redis/redis.module.js';
import {
  ADVOWARE_API,
  ADVOWARE_TOKEN_PATH,
  type AdvowareFake,
  startAdvowareFake,
} from './fakes/advoware/advoware.fake.js';
import { advowareDemoData } from './fakes/advoware/demo-data.js';
import { type RunningHub, startHub } from './support/hub.js';
import { TEST_SECRETS, testEnv } from './support/test-env.js';

const [KEY_ONE, KEY_TWO] = TEST_SECRETS.PROXY_API_KEYS.split(',');
const PDF = Buffer.from('%PDF-1.7\n\u00e4\u0000\u00ff binary', 'latin1');

describe('Advoware proxy (full hub over HTTP against the Advoware fake)', () => {
  let fake: AdvowareFake;
  let hub: RunningHub;

  function env(overrides: Record<string, string> = {}) {
    return testEnv(
      { advoware: fake.url, advowareAuth: `${fake.url}${ADVOWARE_TOKEN_PATH}` },
      { PROXY_RATE_LIMIT_PER_MINUTE: '100000', PROXY_TIMEOUT_SECONDS: '1', ...overrides },
    );
  }

  function proxy(
    rawQuery: string,
    init: {
      method?: string;
      key?: string | null;
      body?: unknown;
      headers?: Record<string, string>;
    } = {},
    on = hub,
  ) {
    const headers: Record<string, string> = { ...(init.headers ?? {}) };
    if (init.key !== null) headers['X-Api-Key'] = init.key ?? KEY_ONE;
    if (init.body !== undefined && !headers['Content-Type'])
      headers['Content-Type'] = 'application/json';
    return fetch(`${on.url}/advoware/proxy?${rawQuery}`, {
      method: init.method ?? 'GET',
      headers,
      body:
        init.body === undefined
          ? undefined
          : typeof init.body === 'string'
            ? init.body
            : JSON.stringify(init.body),
    });
  }

  const forwarded = () => fake.requests.filter((r) => r.route !== ADVOWARE_TOKEN_PATH);

  beforeAll(async () => {
    fake = await startAdvowareFake();
    hub = await startHub(env());
  });

  beforeEach(() => {
    fake.reset();
    fake.seed(advowareDemoData());
    fake.seed({
      dokumente: [{ id: 'd1', contentType: 'application/pdf', base64: PDF.toString('base64') }],
    });
  });

  afterAll(async () => {
    await hub?.close();
    await fake?.close();
  });

  describe('forwarding', () => {
    it('GETs with every other query parameter forwarded unchanged, repeated keys included', async () => {
      const [first] = fake.termine('MS');
      const day = first.datum;
      const res = await proxy(
        `endpoint=api/v1/advonet/Termine&kuerzel=MS&von=${day}&bis=${day}&x=1&x=2`,
      );
      expect(res.status).toBe(200);
      const body = (await res.json()) as { result: Array<{ frNr: number }> };
      expect(body.result.map((t) => t.frNr)).toEqual([first.frNr]);
      expect(forwarded().at(-1)).toMatchObject({
        method: 'GET',
        path: `${ADVOWARE_API}/Termine`,
        query: `?kuerzel=MS&von=${day}&bis=${day}&x=1&x=2`,
      });
    });

    it('resolves a bare resource like endpoint=employees below api/v1/advonet/', async () => {
      const res = await proxy('endpoint=employees&limit=1&offset=0');
      expect(res.status).toBe(200);
      const { result } = (await res.json()) as { result: { data: unknown[]; total: number } };
      expect(result).toMatchObject({
        data: [expect.objectContaining({ kuerzel: 'MS' })],
        total: 2,
      });
      expect(forwarded().at(-1)).toMatchObject({
        path: `${ADVOWARE_API}/employees`,
        query: '?limit=1&offset=0',
      });
    });

    it('POSTs the JSON body and answers {result}', async () => {
      const res = await proxy('endpoint=api/v1/advonet/Beteiligte', {
        method: 'POST',
        body: { name: 'Schmidt', vorname: 'Eva', externeId: 'espo-42' },
      });
      expect(res.status).toBe(200);
      const { result } = (await res.json()) as { result: { betNr: number; name: string } };
      expect(result).toMatchObject({ name: 'Schmidt', externeId: 'espo-42' });
      expect(fake.beteiligte(result.betNr)).toMatchObject({ name: 'Schmidt', vorname: 'Eva' });
      expect(forwarded().at(-1)?.body).toEqual({
        name: 'Schmidt',
        vorname: 'Eva',
        externeId: 'espo-42',
      });
    });

    it('PUTs the JSON body with its query parameters', async () => {
      const res = await proxy('endpoint=/api/v1/advonet/Beteiligte/10001&audit=proxy-test', {
        method: 'PUT',
        body: { vorname: 'Paul' },
      });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { result: { vorname: string } }).result.vorname).toBe('Paul');
      expect(fake.beteiligte(10001)?.vorname).toBe('Paul');
      expect(forwarded().at(-1)).toMatchObject({
        method: 'PUT',
        query: '?audit=proxy-test',
        body: { vorname: 'Paul' },
      });
    });

    it('DELETEs and answers {result: null} for an empty answer', async () => {
      const res = await proxy('endpoint=api/v1/advonet/Termine/70001', { method: 'DELETE' });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ result: null });
      expect(fake.termin(70001)).toBeUndefined();
    });

    it('passes a document download through as bytes with its content type', async () => {
      const res = await proxy('endpoint=api/v1/advonet/Dokumente/d1/Download');
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/pdf');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(Buffer.from(await res.arrayBuffer()).equals(PDF)).toBe(true);
    });
  });

  describe('token', () => {
    it('makes one token request for 100 concurrent proxied calls', async () => {
      const answers = await Promise.all(
        Array.from({ length: 100 }, () => proxy('endpoint=api/v1/advonet/Mitarbeiter')),
      );
      expect(answers.map((a) => a.status)).toEqual(Array(100).fill(200));
      // The fake was reset, so the hub's cached token is stale: the first calls meet 401 and share one refresh.
      expect(fake.tokenRequests).toBe(1);
      const ok = fake.requests.filter(
        (r) => r.route === `${ADVOWARE_API}/Mitarbeiter` && r.status === 200,
      );
      expect(ok).toHaveLength(100);
    });

    it('refreshes an expired token once and answers 200', async () => {
      expect((await proxy('endpoint=api/v1/advonet/Mitarbeiter')).status).toBe(200);
      const before = fake.tokenRequests;
      fake.expireAllTokens();
      const answers = await Promise.all(
        Array.from({ length: 10 }, () => proxy('endpoint=api/v1/advonet/Mitarbeiter')),
      );
      expect(answers.map((a) => a.status)).toEqual(Array(10).fill(200));
      expect(fake.tokenRequests).toBe(before + 1);
    });
  });

  describe('status mapping', () => {
    it.each([
      [
        'an unknown Beteiligte',
        'GET',
        'endpoint=api/v1/advonet/Beteiligte/424242',
        undefined,
        404,
        { Message: 'Beteiligter 424242 nicht gefunden' },
      ],
      [
        'a refused delete',
        'DELETE',
        'endpoint=api/v1/advonet/Beteiligte/10001/Kommunikationen/1',
        undefined,
        403,
        { Message: 'Löschen von Kommunikationen ist nicht erlaubt' },
      ],
      [
        'an invalid create',
        'POST',
        'endpoint=api/v1/advonet/Beteiligte',
        { vorname: 'ohne Name' },
        400,
        { Message: 'name ist erforderlich' },
      ],
    ])(
      'passes Advoware’s status and error body on for %s',
      async (_what, method, query, body, status, details) => {
        const res = await proxy(query, { method, body });
        expect(res.status).toBe(status);
        const json = (await res.json()) as { error: string; details: unknown };
        expect(json.details).toEqual(details);
        expect(json.error).toEqual(expect.stringContaining(String(status)));
      },
    );

    it('passes a 503 on without retrying it', async () => {
      fake.setFaults([{ route: `GET ${ADVOWARE_API}/Mitarbeiter`, status: 503 }]);
      const res = await proxy('endpoint=api/v1/advonet/Mitarbeiter');
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({ details: { Message: 'injected 503' } });
      expect(fake.count('GET', `${ADVOWARE_API}/Mitarbeiter`)).toBe(1);
    });

    it('answers 502 when Advoware drops the connection', async () => {
      fake.setFaults([{ route: `GET ${ADVOWARE_API}/Mitarbeiter`, dropRate: 1 }]);
      const res = await proxy('endpoint=api/v1/advonet/Mitarbeiter');
      expect(res.status).toBe(502);
      expect(await res.json()).toMatchObject({ error: 'Advoware unreachable' });
    });

    it('answers 504 when Advoware does not answer within the proxy timeout', async () => {
      fake.setFaults([{ route: `GET ${ADVOWARE_API}/Mitarbeiter`, timeoutRate: 1 }]);
      const started = Date.now();
      const res = await proxy('endpoint=api/v1/advonet/Mitarbeiter');
      expect(res.status).toBe(504);
      expect(Date.now() - started).toBeLessThan(3000);
    });

    it('answers 400 "Endpoint required as query param" without an endpoint', async () => {
      const res = await proxy('kuerzel=MS');
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({
        error: 'Endpoint required as query param',
        details: null,
      });
      expect(forwarded()).toHaveLength(0);
    });

    it('answers 413 for a body over 1 MB and forwards nothing', async () => {
      const res = await proxy('endpoint=api/v1/advonet/Beteiligte', {
        method: 'POST',
        body: { name: 'x', blob: 'a'.repeat(1_100_000) },
      });
      expect(res.status).toBe(413);
      expect(forwarded()).toHaveLength(0);
    });

    it('answers 415 for a body that is not JSON', async () => {
      const res = await proxy('endpoint=api/v1/advonet/Beteiligte', {
        method: 'POST',
        body: 'name=x',
        headers: { 'Content-Type': 'text/plain' },
      });
      expect(res.status).toBe(415);
      expect(forwarded()).toHaveLength(0);
    });
  });

  describe('endpoint safety: refused with 4xx, and nothing reaches Advoware', () => {
    const variants = (fakeHost: string) => [
      `endpoint=${encodeURIComponent(`http://${fakeHost}/api/v1/advonet/Mitarbeiter`)}`,
      'endpoint=http%3A%2F%2Fevil.example%2F',
      'endpoint=HTTPS://evil.example/',
      'endpoint=file:///etc/passwd',
      `endpoint=//${fakeHost}/api/v1/advonet/Mitarbeiter`,
      `endpoint=%2F%2F${fakeHost}%2Fapi`,
      'endpoint=..%2F..%2Fapi%2Fv1%2FToken',
      'endpoint=api/v1/advonet/../../Token',
      'endpoint=api/v1/advonet/%2e%2e/%2e%2e/api/v1/Token',
      'endpoint=api/v1/advonet/%2E%2e/Token',
      'endpoint=api/v1/advonet/%252e%252e/Token',
      'endpoint=api/v1/advonet/%252E%252e%252fToken',
      'endpoint=api/v1/advonet/%25252e%25252e/Token',
      'endpoint=api/v1/advonet/%c0%ae%c0%ae/Token',
      'endpoint=api/v1/advonet/%EF%BC%8E%EF%BC%8E/Token',
      'endpoint=api/v1/advonet/..;/Token',
      'endpoint=%5C%5Cevil.example%5Cshare',
      'endpoint=api%5C..%5CToken',
      'endpoint=api/v1/advonet/%00/Mitarbeiter',
      'endpoint=api/v1/advonet/Mitarbeiter%0d%0aHost:%20evil.example',
      'endpoint=evil.example%40127.0.0.1/x',
      'endpoint=@evil.example/x',
      'endpoint=127.0.0.1:6379/x',
      'endpoint=api/v1/advonet/Mitarbeiter%3Fx%3D1',
      'endpoint=api/v1/advonet/Mitarbeiter%23x',
      'endpoint=api//v1/advonet/Mitarbeiter',
      'endpoint=/..',
      `endpoint=api/v1/advonet/Mitarbeiter&endpoint=//${fakeHost}/x`,
    ];

    it('refuses at least 20 SSRF and traversal variants', async () => {
      const host = new URL(fake.url).host;
      const list = variants(host);
      expect(list.length).toBeGreaterThanOrEqual(20);
      const results: Array<[string, number]> = [];
      for (const q of list) results.push([q, (await proxy(q)).status]);
      for (const [q, status] of results) {
        expect([q, status >= 400 && status < 500]).toEqual([q, true]);
      }
      expect(fake.requests).toHaveLength(0);
    });
  });

  describe('auth', () => {
    it('answers 401 without a key or with a wrong one, and accepts every configured key', async () => {
      expect((await proxy('endpoint=api/v1/advonet/Mitarbeiter', { key: null })).status).toBe(401);
      const wrong = await proxy('endpoint=api/v1/advonet/Mitarbeiter', { key: `${KEY_ONE}x` });
      expect(wrong.status).toBe(401);
      expect(await wrong.json()).toEqual({
        error: 'Unauthorized',
        details: 'X-Api-Key header missing or wrong',
      });
      expect(forwarded()).toHaveLength(0);
      expect((await proxy('endpoint=api/v1/advonet/Mitarbeiter', { key: KEY_TWO })).status).toBe(
        200,
      );
    });
  });

  it('documents all four operations in Swagger', async () => {
    const doc = (await (await fetch(`${hub.url}/api/docs-json`)).json()) as {
      paths: Record<string, Record<string, { parameters?: Array<{ name: string }> }>>;
    };
    const ops = doc.paths['/advoware/proxy'];
    expect(Object.keys(ops).sort()).toEqual(['delete', 'get', 'post', 'put']);
    for (const op of Object.values(ops))
      expect(op.parameters?.map((p) => p.name)).toContain('endpoint');
  });

  describe('with a rate limit and an allow-list', () => {
    let limited: RunningHub;

    beforeAll(async () => {
      limited = await startHub(
        env({
          PROXY_RATE_LIMIT_PER_MINUTE: '3',
          PROXY_ALLOWED_PREFIXES: 'api/v1/advonet/Mitarbeiter',
        }),
      );
    });
    afterAll(async () => {
      await limited?.close();
    });

    it('answers 429 with Retry-After once a key used its calls of the minute; other keys are unaffected', async () => {
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++)
        statuses.push((await proxy('endpoint=api/v1/advonet/Mitarbeiter', {}, limited)).status);
      expect(statuses).toEqual([200, 200, 200, 429]);
      const blocked = await proxy('endpoint=api/v1/advonet/Mitarbeiter', {}, limited);
      expect(blocked.status).toBe(429);
      expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(Number(blocked.headers.get('retry-after'))).toBeLessThanOrEqual(60);
      expect(fake.count('GET', `${ADVOWARE_API}/Mitarbeiter`)).toBe(3);
      expect(
        (await proxy('endpoint=api/v1/advonet/Mitarbeiter', { key: KEY_TWO }, limited)).status,
      ).toBe(200);
    });

    it('answers 403 outside the allowed prefixes without calling Advoware', async () => {
      const res = await proxy('endpoint=api/v1/advonet/Termine', { key: KEY_TWO }, limited);
      expect(res.status).toBe(403);
      expect(fake.count('GET', `${ADVOWARE_API}/Termine`)).toBe(0);
    });
  });

  describe('without Redis', () => {
    let isolated: RunningHub;

    beforeAll(async () => {
      isolated = await startHub(env());
    });
    afterAll(async () => {
      await isolated?.close();
    });

    it('keeps proxying with a process-local token and rate count', async () => {
      expect((await proxy('endpoint=api/v1/advonet/Mitarbeiter', {}, isolated)).status).toBe(200);
      isolated.app.get<Redis>(REDIS_CACHE).disconnect();
      isolated.app.get<Redis>(REDIS).disconnect();
      fake.expireAllTokens();
      const before = fake.tokenRequests;
      const answers = await Promise.all(
        Array.from({ length: 5 }, () => proxy('endpoint=api/v1/advonet/Mitarbeiter', {}, isolated)),
      );
      expect(answers.map((a) => a.status)).toEqual(Array(5).fill(200));
      expect(fake.tokenRequests).toBe(before + 1);
    });
  });
});
