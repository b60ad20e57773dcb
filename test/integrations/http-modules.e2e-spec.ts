import 'reflect-metadata';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Global, type INestApplicationContext, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Redis } from 'ioredis';
import { AppConfig } from '../../src/config/app-config.js';
import { HubConfigModule } from '../../src/config/config.module.js';
import { UpstreamError } from '../../src/core/errors/upstream.errors.js';
import { HubMetrics } from '../../src/core/metrics/hub-metrics.js';
import { REDIS_CACHE } from '../../src/core/redis/redis.module.js';
import { AdvowareClient } from '../../src/integrations/advoware/advoware.client.js';
import { AdvowareModule } from '../../src/integrations/advoware/advoware.module.js';
import { EspoCrmClient } from '../../src/integrations/espocrm/espocrm.client.js';
import { EspoCrmModule } from '../../src/integrations/espocrm/espocrm.module.js';
import { XaiClient } from '../../src/integrations/xai/xai.client.js';
import { XaiModule } from '../../src/integrations/xai/xai.module.js';
import { TEST_SECRETS, testEnv } from '../support/test-env.js';

/**
 * The clients as the app builds them: each integration module's HttpService
 * (@nestjs/axios, HttpModule.registerAsync) with the hub's interceptors on it once.
 * One local server plays every upstream; a second one is where a redirect points.
 */
interface Hit {
  method: string;
  url: string;
  authorization?: string;
}

async function listen(handler: http.RequestListener) {
  const hits: Hit[] = [];
  const server = http.createServer((req, res) => {
    hits.push({
      method: req.method ?? '',
      url: req.url ?? '',
      authorization: req.headers.authorization,
    });
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

const json = (res: http.ServerResponse, body: unknown) => {
  res.writeHead(200, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
};

/** Calls counted by the upstream histogram for one system, per route and status. */
async function counted(metrics: HubMetrics, system: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const v of (await metrics.upstream.get()).values) {
    if (!v.metricName?.endsWith('_count') || v.labels.system !== system) continue;
    out[`${v.labels.method} ${v.labels.route} ${v.labels.status}`] = v.value;
  }
  return out;
}

describe('integration modules: HttpService from @nestjs/axios, interceptors once', () => {
  let elsewhere: Awaited<ReturnType<typeof listen>>;
  let upstream: Awaited<ReturnType<typeof listen>>;
  let app: INestApplicationContext;
  let metrics: HubMetrics;
  let cache: Redis;
  let config: AppConfig;

  beforeAll(async () => {
    elsewhere = await listen((_req, res) => json(res, { stolen: true }));
    upstream = await listen((req, res) => {
      const url = req.url ?? '';
      if (url.includes('/moved')) {
        res.writeHead(302, { Location: `${elsewhere.url}/moved` });
        return void res.end();
      }
      if (url === '/api/v1/Token') return json(res, { access_token: 'tok-1', expires_in: 3600 });
      if (url.startsWith('/v1/files/')) return json(res, { id: 'file_1', object: 'file' });
      if (url.startsWith('/mgmt/v1/collections/'))
        return json(res, { collection_id: 'c1', collection_name: 'n' });
      json(res, {});
    });
    const env = testEnv({
      espocrm: `${upstream.url}/api/v1`,
      advoware: upstream.url,
      advowareAuth: `${upstream.url}/api/v1/Token`,
      xai: upstream.url,
      xaiManagement: `${upstream.url}/mgmt`,
    });
    config = AppConfig.fromEnv(env);
    metrics = new HubMetrics();
    cache = new Redis({
      host: '127.0.0.1',
      port: 6379,
      db: config.redis.cacheDb,
      lazyConnect: true,
    });
    @Global()
    @Module({
      providers: [
        { provide: HubMetrics, useValue: metrics },
        { provide: REDIS_CACHE, useValue: cache },
      ],
      exports: [HubMetrics, REDIS_CACHE],
    })
    class Globals {}
    @Module({
      imports: [HubConfigModule.forRoot(env), Globals, EspoCrmModule, AdvowareModule, XaiModule],
    })
    class Root {}
    app = await NestFactory.createApplicationContext(Root, { logger: false });
  });

  afterAll(async () => {
    await app?.close();
    await cache.del(`${config.queue.prefix}:advoware:token`);
    cache.disconnect();
    await upstream.close();
    await elsewhere.close();
  });

  beforeEach(() => {
    upstream.hits.length = 0;
    elsewhere.hits.length = 0;
    metrics.upstream.reset();
  });

  it('EspoCRM: a redirect is an error, never followed, and the call is counted once', async () => {
    await expect(app.get(EspoCrmClient).get('Account', 'moved')).rejects.toBeInstanceOf(
      UpstreamError,
    );
    expect(elsewhere.hits).toHaveLength(0);
    // In-call retries stop at once on a 3xx: permanent, like any non-2xx but 408/429/5xx.
    expect(upstream.hits.map((h) => h.url)).toEqual(['/api/v1/Account/moved']);
    expect(await counted(metrics, 'espocrm')).toEqual({ 'GET Account/moved 302': 1 });
  });

  it('xAI: the API key goes to the files host, the management key to the management host', async () => {
    const client = app.get(XaiClient);
    await client.getFile('file_1');
    await client.getCollection('c1');
    expect(upstream.hits).toEqual([
      {
        method: 'GET',
        url: '/v1/files/file_1',
        authorization: `Bearer ${TEST_SECRETS.XAI_API_KEY}`,
      },
      {
        method: 'GET',
        url: '/mgmt/v1/collections/c1',
        authorization: `Bearer ${TEST_SECRETS.XAI_MANAGEMENT_KEY}`,
      },
    ]);
    expect(Object.values(await counted(metrics, 'xai'))).toEqual([1, 1]);
  });

  it('Advoware: the token POST (label Token) and the call, each counted once', async () => {
    const answer = await app.get(AdvowareClient).request('GET', 'api/v1/advonet/employees');
    expect(answer.status).toBe(200);
    expect(upstream.hits.map((h) => `${h.method} ${h.url}`)).toEqual([
      'POST /api/v1/Token',
      'GET /api/v1/advonet/employees',
    ]);
    expect(upstream.hits[1].authorization).toBe('Bearer tok-1');
    expect(await counted(metrics, 'advoware')).toEqual({
      'POST Token 200': 1,
      'GET api/v1/advonet/employees 200': 1,
    });
  });
});
