import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import axios, { AxiosError, type AxiosInstance, type InternalAxiosRequestConfig } from 'axios';
import { handledByUndici, upstreamAdapter } from './undici.adapter.js';

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A real server on loopback: the adapter is judged by what goes over the wire. */
describe('upstreamAdapter: undici for the calls the hub makes by the thousand, over real HTTP', () => {
  let server: http.Server;
  let base: string;
  let seen: Seen[];
  let handle: (req: IncomingMessage, res: ServerResponse, body: string) => void;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => (body += c));
      req.on('end', () => {
        seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
        handle(req, res, body);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });
  beforeEach(() => {
    seen = [];
    handle = (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });

  const client = (extra: Parameters<typeof axios.create>[0] = {}): AxiosInstance =>
    axios.create({
      baseURL: `${base}/api/v1/`,
      headers: { 'X-Api-Key': 'k-1' },
      proxy: false,
      maxRedirects: 0,
      validateStatus: (s) => s >= 200 && s < 300,
      adapter: upstreamAdapter,
      ...extra,
    });

  it('reads a JSON record with the instance headers, axios parsing the answer', async () => {
    handle = (_req, res) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"id":"d1","n":2}');
    const res = await client().get('/CDokumente/d1');
    expect(res.data).toEqual({ id: 'd1', n: 2 });
    expect(res.status).toBe(200);
    expect(res.statusText).toBe('OK');
    // undici answered, not axios' adapter (whose request is Node's ClientRequest).
    expect(res.request).toEqual({
      method: 'GET',
      path: '/api/v1/CDokumente/d1',
      host: expect.any(String),
    });
    expect(res.headers['content-type']).toBe('application/json');
    expect(seen[0]).toMatchObject({ method: 'GET', url: '/api/v1/CDokumente/d1' });
    expect(seen[0].headers['x-api-key']).toBe('k-1');
    expect(seen[0].headers['user-agent']).toMatch(/^axios\//);
  });

  it('serialises query parameters as axios does, URLSearchParams with repeated keys included', async () => {
    await client().get('Account', { params: { maxSize: 2, where: ['a', 'b'] } });
    await client().get('Account', {
      params: new URLSearchParams([
        ['a', '1'],
        ['a', '2'],
        ['b', 'x y'],
      ]),
    });
    expect(seen[0].url).toBe(
      '/api/v1/Account?maxSize=2&where[]=a&where[]=b'.replace(/\[\]/g, '%5B%5D'),
    );
    expect(seen[1].url).toBe('/api/v1/Account?a=1&a=2&b=x+y');
  });

  it('sends a JSON body with its length and content type', async () => {
    await client().put('CDokumente/d1', { xaiFileId: 'file_1', hash: 'ä' });
    expect(seen[0].method).toBe('PUT');
    expect(JSON.parse(seen[0].body)).toEqual({ xaiFileId: 'file_1', hash: 'ä' });
    expect(seen[0].headers['content-type']).toMatch(/^application\/json/);
    expect(Number(seen[0].headers['content-length'])).toBe(Buffer.byteLength(seen[0].body));
  });

  it('refuses a status outside validateStatus with the answer attached, parsed', async () => {
    handle = (_req, res) =>
      res
        .writeHead(404, { 'content-type': 'application/json', 'x-status-reason': 'gone' })
        .end('{"message":"no such record"}');
    const err = (await client()
      .get('CDokumente/x')
      .catch((e: unknown) => e)) as AxiosError;
    expect(err).toBeInstanceOf(AxiosError);
    expect(err.code).toBe(AxiosError.ERR_BAD_REQUEST);
    expect(err.response?.status).toBe(404);
    expect(err.response?.data).toEqual({ message: 'no such record' });
    expect(err.response?.headers['x-status-reason']).toBe('gone');

    handle = (_req, res) => res.writeHead(503, { 'retry-after': '2' }).end('busy');
    const busy = (await client()
      .get('x')
      .catch((e: unknown) => e)) as AxiosError;
    expect(busy.code).toBe(AxiosError.ERR_BAD_RESPONSE);
    expect(busy.response?.data).toBe('busy');
    expect(busy.response?.headers['retry-after']).toBe('2');
  });

  it('stops reading an answer over maxContentLength, as axios does', async () => {
    handle = (_req, res) => res.writeHead(200).end('x'.repeat(10_000));
    const err = (await client({ maxContentLength: 1000 })
      .get('big')
      .catch((e: unknown) => e)) as AxiosError;
    expect(err.code).toBe(AxiosError.ERR_BAD_RESPONSE);
    expect(err.message).toBe('maxContentLength size of 1000 exceeded');
  });

  it('refuses a body over maxBodyLength before sending it', async () => {
    const err = (await client({ maxBodyLength: 10 })
      .post('x', 'y'.repeat(11))
      .catch((e: unknown) => e)) as AxiosError;
    expect(err.code).toBe(AxiosError.ERR_BAD_REQUEST);
    expect(seen).toHaveLength(0);
  });

  it('times out a silent server with the code and message of axios', async () => {
    handle = () => undefined; // never answers
    const err = (await client({ timeout: 100 })
      .get('slow')
      .catch((e: unknown) => e)) as AxiosError;
    expect(err.code).toBe('ECONNABORTED');
    expect(err.message).toBe('timeout of 100ms exceeded');
  });

  it('names a refused connection and a reset socket as axios does', async () => {
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const refused = (await client({ baseURL: `http://127.0.0.1:${port}/` })
      .get('x')
      .catch((e: unknown) => e)) as AxiosError;
    expect(refused).toBeInstanceOf(AxiosError);
    expect(refused.code).toBe('ECONNREFUSED');

    handle = (req) => req.socket.destroy();
    const reset = (await client()
      .get('x')
      .catch((e: unknown) => e)) as AxiosError;
    expect(reset).toBeInstanceOf(AxiosError);
    expect(reset.code).toBe('ECONNRESET');
  });

  it('returns bytes for arraybuffer and leaves a streamed answer to axios own adapter', async () => {
    handle = (_req, res) => res.writeHead(200).end(Buffer.from([1, 2, 3]));
    const bytes = await client().get<Buffer>('file', { responseType: 'arraybuffer' });
    expect(Buffer.isBuffer(bytes.data)).toBe(true);
    expect([...bytes.data]).toEqual([1, 2, 3]);

    const streamed = await client().get<Readable>('file', { responseType: 'stream' });
    expect(streamed.data).toBeInstanceOf(Readable);
    expect(streamed.request).toBeInstanceOf(http.ClientRequest);
    streamed.data.resume();
  });
});

describe('handledByUndici', () => {
  const config = (c: Partial<InternalAxiosRequestConfig>) =>
    ({ proxy: false, ...c }) as InternalAxiosRequestConfig;

  it('takes JSON, text and byte answers to bodies the hub built', () => {
    expect(handledByUndici(config({}))).toBe(true);
    expect(handledByUndici(config({ responseType: 'arraybuffer', data: '{}' }))).toBe(true);
    expect(handledByUndici(config({ data: Buffer.from('x') }))).toBe(true);
  });

  it('leaves streams, forms, proxies and cancellable calls to axios', () => {
    expect(handledByUndici(config({ responseType: 'stream' }))).toBe(false);
    expect(handledByUndici(config({ data: Readable.from(['x']) }))).toBe(false);
    expect(handledByUndici(config({ data: new FormData() }))).toBe(false);
    expect(handledByUndici(config({ proxy: undefined }))).toBe(false);
    expect(handledByUndici(config({ signal: new AbortController().signal }))).toBe(false);
  });
});
