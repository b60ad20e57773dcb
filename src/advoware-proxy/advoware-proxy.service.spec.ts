import { beforeEach, describe, expect, it } from '@jest/globals';
import type { Request, Response } from 'express';
import { Readable } from 'node:stream';
import { FakeResponse } from '../../test/support/fake-response.js';
import { newTestService, type Mocks } from '../../test/support/new-test-service.js';
import { TEST_SECRETS, testConfig } from '../../test/support/test-env.js';
import { keyId } from '../core/auth/api-key.js';
import { AdvowareClient } from '../integrations/advoware/advoware.client.js';
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

/**
 * A body whose chunks and end come one at a time, as a large document does over a socket.
 */
function arrivingLater(parts: Buffer[]): Readable {
  return Readable.from(
    (async function* () {
      for (const part of parts) {
        await new Promise((resolve) => setImmediate(resolve));
        yield part;
      }
      await new Promise((resolve) => setImmediate(resolve));
    })(),
  );
}

function upstream(data: Buffer | string, headers: Record<string, string>) {
  return { status: 200, headers, data: Readable.from([Buffer.from(data)]) };
}

describe('AdvowareProxyService', () => {
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

  describe('refusals before Advoware', () => {
    it('answers 401 to a wrong key and counts nothing against any rate', async () => {
      await call('GET', request('?endpoint=Akten', { 'x-api-key': 'wrong' }));

      expect(res.statusCode).toBe(401);
      expect(mocks.limiter.take).not.toHaveBeenCalled();
      expect(mocks.advoware.request).not.toHaveBeenCalled();
    });

    it('answers 429 with Retry-After when the key is over its rate, by key id not key', async () => {
      mocks.limiter.take.mockResolvedValue({ allowed: false, retryAfterSeconds: 17 });

      await call('GET', request('?endpoint=Akten'));

      expect(mocks.limiter.take).toHaveBeenCalledWith(keyId(KEY));
      expect(res.statusCode).toBe(429);
      expect(res.headers['Retry-After']).toBe('17');
      expect(res.body).toMatchObject({ details: { retryAfterSeconds: 17 } });
      expect(mocks.advoware.request).not.toHaveBeenCalled();
    });

    it('answers 400 to an endpoint given twice and 403 to one outside the allowed prefixes', async () => {
      await call('GET', request('?endpoint=Akten&endpoint=Akten/1'));
      expect(res.statusCode).toBe(400);

      res = new FakeResponse();
      await call('GET', request('?endpoint=Beteiligte/1'));
      expect(res.statusCode).toBe(403);
      expect(mocks.advoware.request).not.toHaveBeenCalled();
    });

    it('answers 415 to a POST body that is not JSON', async () => {
      await call(
        'POST',
        request('?endpoint=Akten', { 'content-type': 'text/plain', 'content-length': '3' }, 'abc'),
      );

      expect(res.statusCode).toBe(415);
      expect(mocks.advoware.request).not.toHaveBeenCalled();
    });
  });

  describe('forwarding', () => {
    it('sends the call once, with the other query parameters and one metric label, and wraps JSON in result', async () => {
      mocks.advoware.request.mockResolvedValue(
        upstream('{"az":"1/26"}', { 'content-type': 'application/json' }),
      );

      await call(
        'POST',
        request(
          '?endpoint=Akten/7&nr=1&nr=2',
          { 'content-type': 'application/json', 'content-length': '9' },
          { a: 1 },
        ),
      );

      expect(mocks.advoware.request).toHaveBeenCalledTimes(1);
      const [method, path, options] = mocks.advoware.request.mock.calls[0];
      expect(method).toBe('POST');
      expect(path).toBe('api/v1/advonet/Akten/7');
      expect(options).toMatchObject({
        body: { a: 1 },
        metricRoute: 'proxy',
        attempts: 1,
        maxResponseBytes: LIMIT,
      });
      expect(String(options?.query)).toBe('nr=1&nr=2');
      expect(res.statusCode).toBe(200);
      expect(res.body).toEqual({ result: { az: '1/26' } });
    });

    it('answers result null for an empty JSON answer', async () => {
      mocks.advoware.request.mockResolvedValue(
        upstream('', { 'content-type': 'application/json' }),
      );

      await call('GET', request('?endpoint=Akten'));

      expect(res.body).toEqual({ result: null });
    });

    it('passes a document through as bytes, chunk by chunk, with its type and nosniff', async () => {
      const parts = [Buffer.from('%PDF-1.7 '), Buffer.from('fake document')];
      mocks.advoware.request.mockResolvedValue({
        status: 200,
        headers: {
          'content-type': 'application/pdf',
          'content-disposition': 'attachment; filename="a.pdf"',
        },
        data: arrivingLater(parts),
      });

      await call('GET', request('?endpoint=Akten/7/Dokument'));

      expect(res.statusCode).toBe(200);
      expect(res.bytes.equals(Buffer.concat(parts))).toBe(true);
      expect(res.writableFinished).toBe(true);
      expect(res.headers).toMatchObject({
        'Content-Type': 'application/pdf',
        'Content-Disposition': 'attachment; filename="a.pdf"',
        'X-Content-Type-Options': 'nosniff',
      });
    });

    it('ends a short document whose end arrives with its first bytes (one TCP packet)', async () => {
      // Observed over a real socket: 'end' was emitted before the writer listened for it,
      // and the answer was never ended (the request hung, its keep-alive socket blocked).
      const onePacket = new Readable({ read() {} });
      onePacket.push(Buffer.from('abc'));
      onePacket.push(null);
      mocks.advoware.request.mockResolvedValue({
        status: 200,
        headers: { 'content-type': 'application/pdf' },
        data: onePacket,
      });

      const outcome = await Promise.race([
        call('GET', request('?endpoint=Akten/7/Dokument')).then(() => 'answered'),
        new Promise((resolve) => setTimeout(() => resolve('hung'), 3000).unref()),
      ]);

      expect(outcome).toBe('answered');
      expect(res.bytes.toString()).toBe('abc');
      expect(res.writableFinished).toBe(true);
    });

    it('cuts a streamed document that passes PROXY_MAX_RESPONSE_BYTES: the short body is the signal', async () => {
      const parts = [Buffer.alloc(LIMIT - 100, 1), Buffer.alloc(200, 2)];
      mocks.advoware.request.mockResolvedValue({
        status: 200,
        headers: { 'content-type': 'application/octet-stream' },
        data: arrivingLater(parts),
      });

      await call('GET', request('?endpoint=Akten/7/Dokument'));

      expect(res.statusCode).toBe(200);
      expect(res.destroyed).toBe(true);
      expect(res.writableFinished).toBe(false);
      expect(res.bytes.length).toBe(LIMIT - 100);
    });

    it('refuses an answer announced larger than PROXY_MAX_RESPONSE_BYTES with 502', async () => {
      mocks.advoware.request.mockResolvedValue(
        upstream('{}', { 'content-type': 'application/json', 'content-length': String(LIMIT + 1) }),
      );

      await call('GET', request('?endpoint=Akten'));

      expect(res.statusCode).toBe(502);
      expect(res.body).toMatchObject({ error: 'Advoware answer too large' });
    });

    it('refuses a JSON answer that grows past the limit unannounced with 502', async () => {
      mocks.advoware.request.mockResolvedValue(
        upstream(`"${'x'.repeat(LIMIT)}"`, { 'content-type': 'application/json' }),
      );

      await call('GET', request('?endpoint=Akten'));

      expect(res.statusCode).toBe(502);
    });
  });
});
