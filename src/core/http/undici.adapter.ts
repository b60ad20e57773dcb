import { STATUS_CODES } from 'node:http';
import axios, {
  type AxiosAdapter,
  AxiosError,
  AxiosHeaders,
  type AxiosResponse,
  type InternalAxiosRequestConfig,
} from 'axios';
import { Agent, type Dispatcher } from 'undici';

/**
 * The axios adapter of every upstream call: the calls the hub makes by the thousand
 * (a JSON or byte answer to a body the hub built) go through undici; anything else
 * (streamed answers, multipart uploads, a proxy, progress callbacks, cancellation)
 * through axios' own Node adapter. Measured on this machine, axios' adapter costs
 * about 130 µs of CPU per call on top of axios itself, undici about 30 µs: a quarter of
 * the CPU of a document sync run. Clients, interceptors, errors and retries stay
 * axios': this adapter answers what axios' adapter answers, with the same error codes
 * the hub's mapping reads (ECONNREFUSED, ECONNRESET, ECONNABORTED/ETIMEDOUT,
 * ERR_BAD_RESPONSE for an answer over maxContentLength).
 */
const dispatcher = new Agent({
  // Idle sockets closed after 5 s, before the servers' usual keep-alive timeout (as the
  // http agents axios' adapter uses).
  keepAliveTimeout: 5_000,
  keepAliveMaxTimeout: 5_000,
});

const axiosAdapter = axios.getAdapter('http');
const VERSION = axios.VERSION;
const ABSOLUTE_URL = /^([a-z][a-z\d+\-.]*:)?\/\//i;

export const upstreamAdapter: AxiosAdapter = (config) =>
  handledByUndici(config) ? viaUndici(config) : axiosAdapter(config);

/** The calls undici answers; the rest keep axios' adapter and all it supports. */
export function handledByUndici(config: InternalAxiosRequestConfig): boolean {
  const rt = config.responseType;
  const data: unknown = config.data;
  return (
    (rt === undefined || rt === 'json' || rt === 'text' || rt === 'arraybuffer') &&
    (data === undefined ||
      data === null ||
      typeof data === 'string' ||
      data instanceof Uint8Array) &&
    config.proxy === false &&
    !config.auth &&
    !config.socketPath &&
    !config.signal &&
    !config.cancelToken &&
    !config.onUploadProgress &&
    !config.onDownloadProgress
  );
}

function targetOf(config: InternalAxiosRequestConfig): URL {
  // Query parameters are serialised by axios itself (its paramsSerializer, URLSearchParams).
  if (config.params != null) return new URL(axios.getUri(config));
  const url = config.url ?? '';
  if (!config.baseURL || (config.allowAbsoluteUrls !== false && ABSOLUTE_URL.test(url)))
    return new URL(url);
  return new URL(
    url ? `${config.baseURL.replace(/\/?\/$/, '')}/${url.replace(/^\/+/, '')}` : config.baseURL,
  );
}

function headersOf(config: InternalAxiosRequestConfig): Record<string, string> {
  const headers = AxiosHeaders.from(config.headers);
  headers.set('User-Agent', `axios/${VERSION}`, false);
  // toJSON leaves out unset headers (null, undefined, false); undici wants strings.
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers.toJSON(true))) out[name] = String(value);
  return out;
}

async function viaUndici(config: InternalAxiosRequestConfig): Promise<AxiosResponse> {
  const url = targetOf(config);
  const method = (config.method ?? 'get').toUpperCase();
  const request = { method, path: url.pathname + url.search, host: url.host };
  const body = config.data as string | Uint8Array | undefined | null;
  const size = typeof body === 'string' ? Buffer.byteLength(body) : (body?.byteLength ?? 0);
  if (
    config.maxBodyLength !== undefined &&
    config.maxBodyLength > -1 &&
    size > config.maxBodyLength
  )
    throw new AxiosError(
      'Request body larger than maxBodyLength limit',
      AxiosError.ERR_BAD_REQUEST,
      config,
      request,
    );

  let answer: Dispatcher.ResponseData;
  try {
    answer = await dispatcher.request({
      origin: url.origin,
      path: request.path,
      method: method as Dispatcher.HttpMethod,
      headers: headersOf(config),
      body: body ?? undefined,
      // axios' adapter times out a socket idle for `timeout` ms; undici's two timeouts
      // are the same idea per phase (0: none). undici's timers tick coarsely: a timeout
      // fires up to about a second late, harmless for the hub's timeouts of seconds.
      headersTimeout: config.timeout ?? 0,
      bodyTimeout: config.timeout ?? 0,
    });
  } catch (err) {
    throw networkError(err, config, request);
  }

  const limit = config.maxContentLength ?? -1;
  let data: Buffer;
  try {
    data = await readBody(answer.body, limit);
  } catch (err) {
    if (err instanceof TooLarge)
      throw new AxiosError(
        `maxContentLength size of ${limit} exceeded`,
        AxiosError.ERR_BAD_RESPONSE,
        config,
        request,
      );
    throw networkError(err, config, request);
  }

  const status = answer.statusCode;
  const response: AxiosResponse = {
    data:
      config.responseType === 'arraybuffer'
        ? data
        : data.toString((config.responseEncoding as BufferEncoding | undefined) ?? 'utf8'),
    status,
    statusText: STATUS_CODES[status] ?? '',
    headers: new AxiosHeaders(answer.headers as Record<string, string | string[]>),
    config,
    request,
  };
  if (!config.validateStatus || config.validateStatus(status)) return response;
  throw new AxiosError(
    `Request failed with status code ${status}`,
    status >= 500 ? AxiosError.ERR_BAD_RESPONSE : AxiosError.ERR_BAD_REQUEST,
    config,
    request,
    response,
  );
}

class TooLarge extends Error {}

function readBody(body: Dispatcher.ResponseData['body'], limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    body.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (limit > -1 && size > limit) {
        body.destroy();
        reject(new TooLarge());
        return;
      }
      chunks.push(chunk);
    });
    body.once('end', () => resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
    body.once('error', reject);
  });
}

/**
 * undici's failures in the words of axios' adapter, which the hub's mapping and retry
 * policy read: a timeout is ECONNABORTED (ETIMEDOUT with clarifyTimeoutError), a socket
 * the server closed is ECONNRESET; system errors (ECONNREFUSED, ENOTFOUND) keep their code.
 */
function networkError(
  err: unknown,
  config: InternalAxiosRequestConfig,
  request: object,
): AxiosError {
  const code = (err as { code?: string }).code;
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
    return new AxiosError(
      config.timeoutErrorMessage ?? `timeout of ${config.timeout}ms exceeded`,
      config.transitional?.clarifyTimeoutError ? AxiosError.ETIMEDOUT : AxiosError.ECONNABORTED,
      config,
      request,
    );
  }
  const mapped =
    code === 'UND_ERR_SOCKET' || code === 'UND_ERR_CLOSED'
      ? 'ECONNRESET'
      : code === 'UND_ERR_CONNECT_TIMEOUT'
        ? 'ETIMEDOUT'
        : code;
  const cause = (err as { cause?: { code?: string } }).cause;
  return AxiosError.from(err as Error, cause?.code ?? mapped, config, request);
}
