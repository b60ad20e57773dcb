import { beforeEach, describe, expect, it } from '@jest/globals';
import type { Request, Response } from 'express';
import { FakeResponse } from '../../test/support/fake-response.js';
import { newTestService, type Mocks } from '../../test/support/new-test-service.js';
import { TEST_SECRETS, testConfig } from '../../test/support/test-env.js';
import {
  TransientUpstreamError,
  UpstreamNotFoundError,
  upstreamErrorForStatus,
} from '../core/errors/upstream.errors.js';
import {
  AdvowareAuthenticationError,
  AdvowareClient,
} from '../integrations/advoware/advoware.client.js';
import { AdvowareProxyService } from './advoware-proxy.service.js';
import { ProxyRateLimiter } from './proxy-rate-limiter.js';

const DEPS = { advoware: AdvowareClient, limiter: ProxyRateLimiter };
const KEY = TEST_SECRETS.PROXY_API_KEYS.split(',')[0];
const LIMIT = 4096;

function request(query: string, headers: Record<string, string> = {}, body?: unknown): Request {
  return {
    originalUrl: `/advoware/proxy${query}`,
    headers: { 'x-api-key': KEY, ...headers },
    body,
  } as unknown as Request;
}

/** How each Advoware failure reaches the proxy's caller; refusals and forwarding are in advoware-proxy.service.spec.ts. */
describe('AdvowareProxyService: Advoware errors', () => {
  let sut: AdvowareProxyService;
  let mocks: Mocks<typeof DEPS>;
  let res: FakeResponse;
  const config = testConfig(
    {},
    { PROXY_ALLOWED_PREFIXES: 'api/v1/advonet/Akten', PROXY_MAX_RESPONSE_BYTES: String(LIMIT) },
  );

  beforeEach(async () => {
    ({ sut, mocks } = await newTestService(AdvowareProxyService, DEPS, { config }));
    mocks.limiter.take.mockResolvedValue({ allowed: true, retryAfterSeconds: 60 });
    res = new FakeResponse();
  });

  const call = (method: 'GET' | 'POST', req: Request) =>
    sut.handle(method, req, res as unknown as Response);

  it('passes an Advoware 4xx on with its status and body', async () => {
    mocks.advoware.request.mockRejectedValue(
      new UpstreamNotFoundError('advoware', 'advoware answered 404', {
        status: 404,
        body: { message: 'Akte nicht gefunden' },
      }),
    );

    await call('GET', request('?endpoint=Akten/99'));

    expect(res.statusCode).toBe(404);
    expect(res.body).toEqual({
      error: 'advoware answered 404',
      details: { message: 'Akte nicht gefunden' },
    });
  });

  it('passes Advoware’s 429 on with its Retry-After in seconds', async () => {
    mocks.advoware.request.mockRejectedValue(
      upstreamErrorForStatus('advoware', 429, { retryAfterMs: 2500 }),
    );

    await call('GET', request('?endpoint=Akten'));

    expect(res.statusCode).toBe(429);
    expect(res.headers['Retry-After']).toBe('3');
  });

  it('never passes on a redirect: 502', async () => {
    mocks.advoware.request.mockRejectedValue(
      upstreamErrorForStatus('advoware', 302, { reason: 'moved' }),
    );

    await call('GET', request('?endpoint=Akten'));

    expect(res.statusCode).toBe(502);
    expect(res.headers.Location).toBeUndefined();
  });

  it('answers 502 when Advoware refuses the hub’s credentials, without the gateway’s body', async () => {
    mocks.advoware.request.mockRejectedValue(
      new AdvowareAuthenticationError('advoware', 'token refused', {
        status: 401,
        body: { secret: 'gateway detail' },
      }),
    );

    await call('GET', request('?endpoint=Akten'));

    expect(res.statusCode).toBe(502);
    expect(JSON.stringify(res.body)).not.toContain('gateway detail');
  });

  it('answers 503 with Retry-After 30 when the token endpoint itself fails', async () => {
    mocks.advoware.request.mockRejectedValue(
      new TransientUpstreamError('advoware', 'advoware answered 503', {
        status: 503,
        path: config.advoware.authUrl,
      }),
    );

    await call('GET', request('?endpoint=Akten'));

    expect(res.statusCode).toBe(503);
    expect(res.headers['Retry-After']).toBe('30');
  });

  it('answers 504 on a timeout and 502 when Advoware is unreachable', async () => {
    mocks.advoware.request.mockRejectedValue(
      new TransientUpstreamError('advoware', 'timeout', { reason: 'timeout' }),
    );
    await call('GET', request('?endpoint=Akten'));
    expect(res.statusCode).toBe(504);

    res = new FakeResponse();
    mocks.advoware.request.mockRejectedValue(
      new TransientUpstreamError('advoware', 'connect ECONNREFUSED'),
    );
    await call('GET', request('?endpoint=Akten'));
    expect(res.statusCode).toBe(502);
    expect(res.body).toMatchObject({ error: 'Advoware unreachable' });
  });

  it('answers 500 to an error that is not an upstream one', async () => {
    mocks.advoware.request.mockRejectedValue(new TypeError('bug'));

    await call('GET', request('?endpoint=Akten'));

    expect(res.statusCode).toBe(500);
    expect(res.body).toEqual({ error: 'Internal proxy error', details: null });
  });
});
