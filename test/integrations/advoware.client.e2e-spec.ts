import http from 'node:http';
import net from 'node:net';
import { Redis } from 'ioredis';
import type { AppConfig } from '../../src/config/app-config.js';
import {
  PermanentUpstreamError,
  TransientUpstreamError,
  UpstreamForbiddenError,
  UpstreamNotFoundError,
  UpstreamUnauthorizedError,
} from '../../src/core/errors/upstream.errors.js';
import { HubMetrics } from '../../src/core/metrics/hub-metrics.js';
import { redisOptions } from '../../src/core/redis/redis.module.js';
import { AdvowareClient } from '../../src/integrations/advoware/advoware.client.js';
import { ADVOWARE_PAGE_SIZE } from '../../src/integrations/advoware/advoware.paths.js';
import { AdvowareShapeError } from '../../src/integrations/advoware/advoware.reader.js';
import {
  ADVOWARE_API,
  ADVOWARE_TOKEN_PATH,
  type AdvowareFake,
  startAdvowareFake,
} from '../fakes/advoware/advoware.fake.js';
import { testConfig } from '../support/test-env.js';

const MITARBEITER = `${ADVOWARE_API}/employees`;
const APPOINTMENTS = `${ADVOWARE_API}/appointments`;
const PAGE = `limit=${ADVOWARE_PAGE_SIZE}&offset=0`;

describe('AdvowareClient against the Advoware fake', () => {
  let fake: AdvowareFake;
  const redisClients: Redis[] = [];
  const configs: AppConfig[] = [];

  beforeAll(async () => {
    fake = await startAdvowareFake({ seed: 'demo' });
  });

  afterEach(async () => {
    const admin = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: true });
    await admin.connect();
    for (const c of configs.splice(0)) {
      await admin.select(c.redis.cacheDb);
      await admin.del(`${c.queue.prefix}:advoware:token`, `${c.queue.prefix}:advoware:token:lock`);
    }
    admin.disconnect();
    // Disconnecting an ioredis client that already gave up keeps the process alive for ~2 s.
    for (const r of redisClients.splice(0)) if (r.status !== 'end') r.disconnect();
    fake.reset();
    fake.seed((await import('../fakes/advoware/demo-data.js')).advowareDemoData());
  });

  afterAll(async () => {
    await fake.close();
  });

  function config(overrides: Record<string, string> = {}): AppConfig {
    const c = testConfig(
      { advoware: fake.url, advowareAuth: `${fake.url}${ADVOWARE_TOKEN_PATH}` },
      { ADVOWARE_TOKEN_REFRESH_MARGIN_SECONDS: '300', ...overrides },
    );
    configs.push(c);
    return c;
  }

  async function redisFor(c: AppConfig, port = c.redis.port): Promise<Redis> {
    const closed = port !== c.redis.port;
    const r = new Redis({
      ...redisOptions(c, c.redis.cacheDb),
      port,
      ...(closed ? { retryStrategy: () => null } : {}),
    });
    r.on('error', () => undefined);
    redisClients.push(r);
    if (!closed) await new Promise((resolve) => r.once('ready', resolve));
    return r;
  }

  async function client(
    c: AppConfig = config(),
    metrics = new HubMetrics(),
  ): Promise<AdvowareClient> {
    return new AdvowareClient(c, metrics, await redisFor(c));
  }

  async function refreshes(metrics: HubMetrics): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const v of (await metrics.tokenRefreshes.get()).values)
      out[String(v.labels.reason)] = v.value;
    return out;
  }

  const unauthorizedAnswers = () =>
    fake.requests.filter((r) => r.status === 401 && r.route !== ADVOWARE_TOKEN_PATH).length;

  it('gets a token whose HMAC-512 signature, nonce and timestamp the gateway accepts', async () => {
    const metrics = new HubMetrics();
    const c = await client(config(), metrics);
    const mitarbeiter = await c.listMitarbeiter();
    expect(mitarbeiter.map((m) => m.kuerzel).sort()).toEqual(['AB', 'MS']);
    expect(fake.tokenRequests).toBe(1);
    expect(fake.tokenRejections).toEqual([]);
    expect(await refreshes(metrics)).toEqual({ cold: 1 });
  });

  it('makes exactly one token request for 50 concurrent calls on a cold cache', async () => {
    const c = await client();
    const results = await Promise.all(Array.from({ length: 50 }, () => c.listMitarbeiter()));
    expect(results).toHaveLength(50);
    expect(fake.tokenRequests).toBe(1);
    expect(fake.count('GET', MITARBEITER)).toBe(50);
  });

  it('makes exactly one more token request when the token has expired at Advoware', async () => {
    const metrics = new HubMetrics();
    const c = await client(config(), metrics);
    await c.listMitarbeiter();
    fake.expireAllTokens();
    await Promise.all(Array.from({ length: 50 }, () => c.listMitarbeiter()));
    expect(fake.tokenRequests).toBe(2);
    expect(await refreshes(metrics)).toEqual({ cold: 1, unauthorized: 1 });
  });

  it('refreshes once before expiry, inside the refresh margin, without a 401', async () => {
    fake.tokenLifetimeSeconds = 2;
    const metrics = new HubMetrics();
    const c = await client(config(), metrics);
    await c.listMitarbeiter();
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await Promise.all(Array.from({ length: 20 }, () => c.listMitarbeiter()));
    expect(fake.tokenRequests).toBe(2);
    expect(unauthorizedAnswers()).toBe(0);
    expect(await refreshes(metrics)).toEqual({ cold: 1, expiring: 1 });
  });

  it('shares one token between two client instances through Redis', async () => {
    const c = config();
    const [a, b] = [await client(c), await client(c)];
    await Promise.all([
      ...Array.from({ length: 25 }, () => a.listMitarbeiter()),
      ...Array.from({ length: 25 }, () => b.listMitarbeiter()),
    ]);
    expect(fake.tokenRequests).toBe(1);
    const [third] = [await client(c)];
    await third.listMitarbeiter();
    expect(fake.tokenRequests).toBe(1);
  });

  it('after a 401 refreshes the token once and retries the call once', async () => {
    const c = await client();
    await c.listMitarbeiter();
    fake.expireAllTokens();
    fake.clearLog();
    await expect(c.getBeteiligte(10001)).resolves.toMatchObject({ betNr: 10001, name: 'Müller' });
    expect(fake.tokenRequests).toBe(2);
    expect(fake.count('GET', `${ADVOWARE_API}/Beteiligte/:betnr`)).toBe(2);
    expect(unauthorizedAnswers()).toBe(1);
  });

  it('gives up after one refresh when Advoware keeps answering 401', async () => {
    const c = await client();
    fake.setFaults([{ route: `GET ${MITARBEITER}`, status: 401 }]);
    await expect(c.listMitarbeiter()).rejects.toBeInstanceOf(UpstreamUnauthorizedError);
    expect(fake.count('GET', MITARBEITER)).toBe(2);
    expect(fake.tokenRequests).toBe(2);
  });

  it('fails with a clear error naming the settings when the API key is wrong, asking once for concurrent callers', async () => {
    const c = await client(
      config({ ADVOWARE_API_KEY: Buffer.from('not-the-key').toString('base64') }),
    );
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => c.listMitarbeiter()));
    for (const r of results) {
      expect(r.status).toBe('rejected');
      const err = (r as PromiseRejectedResult).reason as Error;
      expect(err).toBeInstanceOf(UpstreamUnauthorizedError);
      expect(err.message).toMatch(/refused the token request \(401: invalid_signature/);
      expect(err.message).toContain('ADVOWARE_API_KEY');
      expect(err.message).not.toContain('not-the-key');
    }
    expect(fake.tokenRequests).toBe(1);
    expect(fake.count('GET', MITARBEITER)).toBe(0);
  });

  it('retries a GET on injected 503s and succeeds', async () => {
    const c = await client();
    fake.setFaults([{ route: `GET ${MITARBEITER}`, status: 503, times: 2 }]);
    await expect(c.listMitarbeiter()).resolves.toHaveLength(2);
    expect(fake.count('GET', MITARBEITER)).toBe(3);
  });

  it('does not retry a 400, and never retries a POST', async () => {
    const c = await client();
    fake.setFaults([{ route: `GET ${MITARBEITER}`, status: 400, times: 1 }]);
    await expect(c.listMitarbeiter()).rejects.toBeInstanceOf(PermanentUpstreamError);
    expect(fake.count('GET', MITARBEITER)).toBe(1);

    fake.setFaults([
      { route: `POST ${ADVOWARE_API}/Beteiligte`, status: 503, applyThenFail: true },
    ]);
    await expect(c.createBeteiligte({ name: 'Neu', externeId: 'espo-1' })).rejects.toBeInstanceOf(
      TransientUpstreamError,
    );
    expect(fake.count('POST', `${ADVOWARE_API}/Beteiligte`)).toBe(1);
    // The lost answer is why a create looks for its reference first.
    fake.setFaults([]);
    await expect(c.findBeteiligteByEspoId('espo-1')).resolves.toMatchObject({
      name: 'Neu',
      externeId: 'espo-1',
    });
  });

  it('asks for a Termin by lowercase frnr and returns only that one', async () => {
    const c = await client();
    const termin = await c.getTermin(70003);
    expect(termin).toMatchObject({ frNr: 70003, kuerzel: 'MS', text: 'Fortbildung Mietrecht' });
    const logged = fake.requests.filter((r) => r.route === APPOINTMENTS);
    expect(logged.map((r) => r.query)).toEqual(['?frnr=70003']);
    await expect(c.getTermin(99999)).resolves.toBeUndefined();
  });

  it('lists Termine by kuerzel and date window', async () => {
    const c = await client();
    const all = fake.termine('MS');
    const from = all[0].datum;
    const to = all[2].datum;
    const listed = await c.listTermine({ kuerzel: 'MS', from, to });
    expect(listed.map((t) => t.frNr).sort()).toEqual([70001, 70002, 70003]);
    expect(fake.requests.at(-1)?.query).toBe(`?kuerzel=MS&von=${from}&bis=${to}&${PAGE}`);
  });

  describe('vendor fidelity: tolerant reading, exact writing', () => {
    it.each([false, true])(
      'reads betNr/frNr whether Advoware spells them documented or lower-case (lowercaseIds=%s)',
      async (lowercaseIds) => {
        fake.setVariants({ lowercaseIds });
        const c = await client();
        const party = await c.getBeteiligte(10001);
        expect(party.betNr).toBe(10001);
        expect(party.kommunikation?.map((k) => k.betNr)).toEqual([10001, 10001]);
        expect((await c.getTermin(70001))?.frNr).toBe(70001);
        const listed = await c.listTermine({ kuerzel: 'MS', from: '2000-01-01', to: '2100-01-01' });
        expect(listed.every((t) => typeof t.frNr === 'number')).toBe(true);
        expect((await c.findBeteiligteByName('müller')).map((b) => b.betNr)).toEqual([10001]);
      },
    );

    it('takes Kommunikation from the party record (one GET) and lists them only when the record lacks them', async () => {
      const c = await client();
      const embedded = await c.readKommunikationen(10001);
      expect(embedded.map((k) => k.tlf).sort()).toEqual([
        '+49 30 1234567',
        'hans.mueller@example.org',
      ]);
      expect(fake.count('GET', `${ADVOWARE_API}/Beteiligte/:betnr`)).toBe(1);
      expect(fake.count('GET', `${ADVOWARE_API}/Beteiligte/:betnr/Kommunikationen`)).toBe(0);

      fake.setVariants({ separateKommunikation: true });
      const listed = await c.readKommunikationen(10001);
      expect(listed).toEqual(embedded);
      expect(fake.count('GET', `${ADVOWARE_API}/Beteiligte/:betnr/Kommunikationen`)).toBe(1);
    });

    it('writes exactly the documented names', async () => {
      const c = await client();
      const created = await c.createBeteiligte({ name: 'Neu', vorname: 'Nina', externeId: 'e-9' });
      await c.createKommunikation(created.betNr, {
        kommKz: 4,
        tlf: 'n@example.de',
        bemerkung: null,
      });
      const bodies = fake.requests
        .filter((r) => r.method === 'POST' && r.route !== ADVOWARE_TOKEN_PATH)
        .map((r) => Object.keys(r.body as object).sort());
      expect(bodies).toEqual([
        ['externeId', 'name', 'vorname'],
        ['bemerkung', 'kommKz', 'tlf'],
      ]);
    });

    it('maps the {id} answer of an appointments create to frNr', async () => {
      const c = await client();
      const created = await c.createTermin({
        datum: '2026-12-10',
        uhrzeitVon: '10:00:00',
        text: 'Neu',
        kuerzel: 'MS',
      });
      expect(created).toMatchObject({ datum: '2026-12-10', text: 'Neu', kuerzel: 'MS' });
      expect(typeof created.frNr).toBe('number');
      expect(fake.termin(created.frNr)).toMatchObject({ text: 'Neu' });
      await c.updateTermin(created.frNr, { datum: '2026-12-11', text: 'Verschoben' });
      expect(fake.termin(created.frNr)).toMatchObject({ datum: '2026-12-11' });
      await c.deleteTermin(created.frNr);
      expect(fake.termin(created.frNr)).toBeUndefined();
      expect(fake.count('PUT', `${APPOINTMENTS}/:frNr`)).toBe(1);
      expect(fake.count('DELETE', `${APPOINTMENTS}/:frNr`)).toBe(1);
    });

    it.each([false, true])(
      'reads every employee page by page, as {data, total} or as bare arrays (employeesBareArray=%s)',
      async (employeesBareArray) => {
        fake.setVariants({ employeesBareArray });
        const n = ADVOWARE_PAGE_SIZE * 2 + 7;
        fake.seed({
          mitarbeiter: Array.from({ length: n }, (_, i) => ({ kuerzel: `K${i}`, aktiv: true })),
        });
        const c = await client();
        const all = await c.listMitarbeiter();
        expect(new Set(all.map((m) => m.kuerzel)).size).toBe(n + 2);
        expect(fake.requests.filter((r) => r.route === MITARBEITER).map((r) => r.query)).toEqual(
          [0, 1, 2].map((p) => `?limit=${ADVOWARE_PAGE_SIZE}&offset=${p * ADVOWARE_PAGE_SIZE}`),
        );
      },
    );

    it('stops a list walk when the server ignores offset', async () => {
      // appointments answers the whole filtered list whatever limit/offset say.
      const start = Date.UTC(2030, 0, 1);
      fake.seed({
        termine: Array.from({ length: ADVOWARE_PAGE_SIZE }, (_, i) => ({
          frNr: 80000 + i,
          kuerzel: 'ZZ',
          datum: new Date(start).toISOString().slice(0, 10),
        })),
      });
      const c = await client();
      const listed = await c.listTermine({ kuerzel: 'ZZ', from: '2030-01-01', to: '2030-01-01' });
      expect(listed).toHaveLength(ADVOWARE_PAGE_SIZE);
      expect(fake.count('GET', APPOINTMENTS)).toBe(2);
    });

    it('calls the configured paths instead of the defaults', async () => {
      const c = await client(
        config({ ADVOWARE_PATH_EMPLOYEES: 'Mitarbeiter', ADVOWARE_PATH_APPOINTMENTS: 'Termine' }),
      );
      expect(await c.listMitarbeiter()).toHaveLength(2);
      expect((await c.getTermin(70001))?.frNr).toBe(70001);
      expect(fake.count('GET', `${ADVOWARE_API}/Mitarbeiter`)).toBe(1);
      expect(fake.count('GET', `${ADVOWARE_API}/Termine`)).toBe(1);
      expect(fake.count('GET', MITARBEITER)).toBe(0);
    });

    it('refuses a party answer without a usable betNr, naming the field, and never requests …/undefined/…', async () => {
      const paths: string[] = [];
      const stub = http.createServer((req, res) => {
        paths.push(req.url ?? '');
        res.writeHead(req.method === 'POST' ? 201 : 200, { 'Content-Type': 'application/json' });
        res.end(
          JSON.stringify(
            req.method === 'POST' ? { name: 'Ohne Nummer', nummer: 7 } : [{ name: 'x' }],
          ),
        );
      });
      await new Promise<void>((resolve) => stub.listen(0, '127.0.0.1', resolve));
      try {
        const port = (stub.address() as net.AddressInfo).port;
        const c = await client(
          testConfig(
            {
              advoware: `http://127.0.0.1:${port}`,
              advowareAuth: `${fake.url}${ADVOWARE_TOKEN_PATH}`,
            },
            {},
          ),
        );
        const created = c.createBeteiligte({ name: 'Ohne Nummer' });
        await expect(created).rejects.toBeInstanceOf(AdvowareShapeError);
        await expect(created).rejects.toBeInstanceOf(PermanentUpstreamError);
        await expect(created).rejects.toThrow(/"betNr"/);
        await expect(c.getBeteiligte(5)).rejects.toThrow(/without a usable "betNr"/);
        await expect(c.listKommunikationen(5)).rejects.toThrow(/without a usable "id"/);
        expect(paths.some((p) => p.includes('undefined'))).toBe(false);
      } finally {
        await new Promise<void>((resolve) => stub.close(() => resolve()));
      }
    });
  });

  it('keeps working on a process-local token when Redis is unreachable, and says so', async () => {
    const closedPort = await freePort();
    const c = config();
    const redis = await redisFor(c, closedPort);
    const degraded = new AdvowareClient(c, new HubMetrics(), redis);
    await Promise.all(Array.from({ length: 10 }, () => degraded.listMitarbeiter()));
    await degraded.getBeteiligte(10001);
    expect(fake.tokenRequests).toBe(1);
    expect(degraded.cacheDegraded()).toBe(true);

    fake.expireAllTokens();
    await expect(degraded.listMitarbeiter()).resolves.toHaveLength(2);
    expect(fake.tokenRequests).toBe(2);
  });

  it('reports a healthy cache when Redis answers', async () => {
    const c = await client();
    await c.listMitarbeiter();
    expect(c.cacheDegraded()).toBe(false);
  });

  it('accepts a gateway that answers expiration_utc instead of expires_in', async () => {
    fake.expiryField = 'expiration_utc';
    const c = await client();
    await Promise.all([c.listMitarbeiter(), c.listMitarbeiter()]);
    await c.listMitarbeiter();
    expect(fake.tokenRequests).toBe(1);
  });

  it('forwards repeated query keys and returns bytes with their content type', async () => {
    fake.seed({
      dokumente: [
        {
          id: 'd1',
          contentType: 'application/pdf',
          base64: Buffer.from('%PDF-1.7 x').toString('base64'),
        },
      ],
    });
    const c = await client();
    await c.request('GET', `${ADVOWARE_API}/Mitarbeiter`, { query: { a: ['1', '2'], b: 'x y' } });
    expect(fake.requests.at(-1)?.query).toBe('?a=1&a=2&b=x+y');

    const doc = await c.request<Buffer>('GET', `${ADVOWARE_API}/Dokumente/d1/Download`, {
      responseType: 'arraybuffer',
    });
    expect(doc.headers['content-type']).toBe('application/pdf');
    expect(Buffer.from(doc.data).toString()).toBe('%PDF-1.7 x');

    const missing = c.request('GET', `${ADVOWARE_API}/Dokumente/nope/Download`, {
      responseType: 'arraybuffer',
    });
    await expect(missing).rejects.toBeInstanceOf(UpstreamNotFoundError);
    await expect(missing).rejects.toMatchObject({
      status: 404,
      body: { Message: 'Dokument nope nicht gefunden' },
    });
  });

  it('surfaces the refused delete of a Bankverbindung as 403', async () => {
    const c = await client();
    const [konto] = await c.listBankverbindungen(10001);
    await expect(c.deleteBankverbindung(10001, konto.id)).rejects.toBeInstanceOf(
      UpstreamForbiddenError,
    );
    expect(fake.bankverbindungen(10001)).toHaveLength(1);
  });

  it('refuses a path that would leave the API base', async () => {
    const c = await client();
    for (const path of ['http://evil.example/x', '//evil.example/x', '\\\\evil\\x']) {
      await expect(c.request('GET', path)).rejects.toThrow(/relative to the API base/);
    }
    expect(fake.requests.filter((r) => r.route !== ADVOWARE_TOKEN_PATH)).toHaveLength(0);
  });
});

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
