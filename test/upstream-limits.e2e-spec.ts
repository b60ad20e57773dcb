import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { PermanentUpstreamError, UpstreamError } from '../src/core/errors/upstream.errors.js';
import { createUpstreamHttp } from '../src/core/http/upstream-http.js';
import { HubMetrics } from '../src/core/metrics/hub-metrics.js';
import {
  ADVOWARE_TOKEN_PATH,
  type AdvowareFake,
  startAdvowareFake,
} from './fakes/advoware/advoware.fake.js';
import { type RunningHub, startHub } from './support/hub.js';
import { TEST_SECRETS, testEnv } from './support/test-env.js';

/**
 * Issue 16, item 5: upstream answers are bounded and redirects are never followed.
 * The fakes cannot send a 30 MB answer or a redirect to another host, so a tiny
 * local server plays the upstream here; the token endpoint test uses the Advoware fake.
 */
const [PROXY_KEY] = TEST_SECRETS.PROXY_API_KEYS.split(',');
const KB = 1024;
const LIMIT = 256 * KB;

interface Upstream {
  url: string;
  hits: Array<{ method: string; url: string; headers: http.IncomingHttpHeaders }>;
  close(): Promise<void>;
}

async function listen(handler: http.RequestListener): Promise<Upstream> {
  const hits: Upstream['hits'] = [];
  const server = http.createServer((req, res) => {
    hits.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Writes `total` bytes in 16 KB chunks, chunked (no Content-Length) unless `announce`. */
function sendBytes(res: http.ServerResponse, total: number, type: string, announce = false): void {
  res.writeHead(200, {
    'Content-Type': type,
    ...(announce ? { 'Content-Length': String(total) } : {}),
  });
  const chunk = Buffer.alloc(16 * KB, 0x61);
  let sent = 0;
  const pump = () => {
    while (sent < total) {
      const n = Math.min(chunk.length, total - sent);
      sent += n;
      if (!res.write(chunk.subarray(0, n))) return void res.once('drain', pump);
    }
    res.end();
  };
  res.on('error', () => undefined);
  pump();
}

describe('upstream clients: bounded answers, no redirects', () => {
  let elsewhere: Upstream;
  let upstream: Upstream;

  beforeAll(async () => {
    elsewhere = await listen((_req, res) => res.writeHead(200).end('{"stolen":true}'));
    upstream = await listen((req, res) => {
      const path = (req.url ?? '').split('?')[0];
      if (path === ADVOWARE_TOKEN_PATH) {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        return void res.end(JSON.stringify({ access_token: 'tok', expires_in: 3300 }));
      }
      if (path.endsWith('/small.pdf')) return sendBytes(res, 100 * KB, 'application/pdf', true);
      if (path.endsWith('/big.pdf')) return sendBytes(res, 4 * LIMIT, 'application/pdf');
      if (path.endsWith('/big-announced.pdf'))
        return sendBytes(res, 4 * LIMIT, 'application/pdf', true);
      if (path.endsWith('/big.json')) return sendBytes(res, 4 * LIMIT, 'application/json');
      if (path.endsWith('/redirect')) {
        res.writeHead(302, { Location: `${elsewhere.url}/steal` });
        return void res.end();
      }
      res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"Message":"nope"}');
    });
  });

  afterAll(async () => {
    await upstream?.close();
    await elsewhere?.close();
  });

  describe('createUpstreamHttp (every client)', () => {
    const client = (maxResponseBytes?: number) =>
      createUpstreamHttp({
        system: 'espocrm',
        baseURL: upstream.url,
        timeoutMs: 5000,
        metrics: new HubMetrics(),
        headers: { 'X-Api-Key': 'espo-key-that-must-stay-home' },
        maxResponseBytes,
      });

    it('does not follow a redirect: the key never reaches the other host', async () => {
      const err = (await client()
        .get('/redirect')
        .catch((e: unknown) => e)) as UpstreamError;
      expect(err).toBeInstanceOf(PermanentUpstreamError);
      expect(err.status).toBe(302);
      expect(elsewhere.hits).toHaveLength(0);
    });

    it('refuses an answer over its limit as permanent instead of buffering it', async () => {
      const err = (await client(LIMIT)
        .get('/big.json')
        .catch((e: unknown) => e)) as UpstreamError;
      expect(err).toBeInstanceOf(PermanentUpstreamError);
      expect(err.reason).toBe('answer too large');
      // Within the limit the same client reads normally.
      const ok = await client(LIMIT).get('/small.pdf', { responseType: 'arraybuffer' });
      expect((ok.data as ArrayBuffer).byteLength).toBe(100 * KB);
    });
  });

  describe('the Advoware proxy', () => {
    let hub: RunningHub;
    const proxy = (endpoint: string) =>
      fetch(`${hub.url}/advoware/proxy?endpoint=${endpoint}`, {
        headers: { 'X-Api-Key': PROXY_KEY },
      });

    beforeAll(async () => {
      hub = await startHub(
        testEnv(
          { advoware: upstream.url, advowareAuth: `${upstream.url}${ADVOWARE_TOKEN_PATH}` },
          { PROXY_MAX_RESPONSE_BYTES: String(LIMIT), PROXY_RATE_LIMIT_PER_MINUTE: '100000' },
        ),
      );
    });

    afterAll(() => hub?.close());

    it('streams a document within PROXY_MAX_RESPONSE_BYTES whole', async () => {
      const res = await proxy('api/v1/advonet/small.pdf');
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/pdf');
      expect((await res.arrayBuffer()).byteLength).toBe(100 * KB);
    });

    it('answers 502 for JSON over the limit and for a document that announces more', async () => {
      for (const endpoint of ['api/v1/advonet/big.json', 'api/v1/advonet/big-announced.pdf']) {
        const res = await proxy(endpoint);
        expect(res.status).toBe(502);
        expect(await res.json()).toMatchObject({ error: 'Advoware answer too large' });
      }
    });

    it('cuts a streamed document that passes the limit without announcing it', async () => {
      const res = await proxy('api/v1/advonet/big.pdf');
      // The status line went out with the first bytes; the cut is the only signal left.
      expect(res.status).toBe(200);
      const received = await res
        .arrayBuffer()
        .then((b) => b.byteLength)
        .catch(() => -1);
      expect(received).toBeLessThanOrEqual(LIMIT);
    });

    it('answers 502 for a redirect and follows it nowhere', async () => {
      const before = elsewhere.hits.length;
      const res = await proxy('api/v1/advonet/redirect');
      expect(res.status).toBe(502);
      expect(res.headers.get('location')).toBeNull();
      expect(elsewhere.hits.length).toBe(before);
    });
  });

  describe('the Advoware proxy and the token endpoint', () => {
    let fake: AdvowareFake;
    let hub: RunningHub;
    const proxy = () =>
      fetch(`${hub.url}/advoware/proxy?endpoint=api/v1/advonet/Mitarbeiter`, {
        headers: { 'X-Api-Key': PROXY_KEY },
      });

    beforeAll(async () => {
      fake = await startAdvowareFake();
      hub = await startHub(
        testEnv({ advoware: fake.url, advowareAuth: `${fake.url}${ADVOWARE_TOKEN_PATH}` }),
      );
    });

    afterAll(async () => {
      await hub?.close();
      await fake?.close();
    });

    it.each([
      [401, 502, "Advoware refused the hub's credentials"],
      [503, 503, 'Advoware sign-in is unavailable; try again later'],
    ])(
      'answers a gateway %i with %i and its own message, never the gateway body',
      async (gateway, answered, message) => {
        fake.reset(); // forgets issued tokens: the hub must fetch a new one
        fake.setFaults([{ route: `POST ${ADVOWARE_TOKEN_PATH}`, status: gateway }]);
        const res = await proxy();
        const text = await res.text();
        expect(res.status).toBe(answered);
        expect(JSON.parse(text)).toEqual({ error: message, details: null });
        expect(text).not.toMatch(/injected|Message/);
        expect(fake.count('POST', ADVOWARE_TOKEN_PATH)).toBeGreaterThan(0);
      },
    );
  });
});
