import { Injectable, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { Readable } from 'node:stream';
import { AppConfig } from '../config/app-config.js';
import { keyId, matchesAnyKey } from '../core/auth/api-key.js';
import { UpstreamError, ValidationError } from '../core/errors/upstream.errors.js';
import {
  AdvowareAuthenticationError,
  AdvowareClient,
} from '../integrations/advoware/advoware.client.js';
import type { AdvowareMethod } from '../integrations/advoware/advoware.types.js';
import { loggableEndpoint, validateProxyEndpoint } from './proxy-endpoint.js';
import { ProxyRateLimiter } from './proxy-rate-limiter.js';

interface Answer {
  status: number;
  json?: unknown;
  /** A non-JSON answer, passed on as it arrives (a document may be larger than the heap likes). */
  raw?: { stream: Readable; first: Buffer; headers: Record<string, string>; limit: number };
  headers?: Record<string, string>;
}

const fail = (
  status: number,
  error: string,
  details?: unknown,
  headers?: Record<string, string>,
): Answer => ({
  status,
  json: { error, details: details ?? null },
  headers,
});

/**
 * `/advoware/proxy`: checks the caller's key, its rate, and the endpoint, then
 * forwards to Advoware with the hub's shared token and answers in the old
 * system's shape (`{result}` / `{error, details}`). One log line per call, with a
 * key id instead of the key.
 */
@Injectable()
export class AdvowareProxyService {
  private readonly logger = new Logger('AdvowareProxy');

  constructor(
    private readonly config: AppConfig,
    private readonly advoware: AdvowareClient,
    private readonly limiter: ProxyRateLimiter,
  ) {}

  async handle(method: AdvowareMethod, req: Request, res: Response): Promise<void> {
    const started = performance.now();
    const query = new URLSearchParams(rawQuery(req.originalUrl));
    const endpoints = query.getAll('endpoint');
    let who = '-';
    let answer: Answer;
    try {
      const presented = req.headers['x-api-key'];
      if (!matchesAnyKey(presented, this.config.proxy.apiKeys)) {
        answer = fail(401, 'Unauthorized', 'X-Api-Key header missing or wrong');
      } else {
        who = keyId(presented as string);
        answer = await this.authorized(method, who, query, endpoints, req);
      }
    } catch (err) {
      this.logger.error(
        `proxy ${method} ${loggableEndpoint(endpoints[0])} failed unexpectedly: ${(err as Error).stack}`,
      );
      answer = fail(500, 'Internal proxy error');
    }
    const complete = await send(res, answer);
    const ms = Math.round(performance.now() - started);
    const line = `proxy key=${who} ${method} ${loggableEndpoint(endpoints[0])} → ${answer.status}${complete ? '' : ' (stream cut: upstream failed or answer over PROXY_MAX_RESPONSE_BYTES)'} in ${ms} ms`;
    if (answer.status >= 500 || !complete) this.logger.warn(line);
    else this.logger.log(line);
  }

  private async authorized(
    method: AdvowareMethod,
    who: string,
    query: URLSearchParams,
    endpoints: string[],
    req: Request,
  ): Promise<Answer> {
    const rate = await this.limiter.take(who);
    if (!rate.allowed) {
      return fail(
        429,
        'Too Many Requests',
        {
          limitPerMinute: this.config.proxy.rateLimitPerMinute,
          retryAfterSeconds: rate.retryAfterSeconds,
        },
        { 'Retry-After': String(rate.retryAfterSeconds) },
      );
    }
    if (endpoints.length > 1) return fail(400, 'endpoint given more than once');
    const check = validateProxyEndpoint(endpoints[0], this.config.proxy.allowedPrefixes);
    if (!check.ok) return fail(check.status, check.message);

    const forwarded = new URLSearchParams();
    for (const [k, v] of query) if (k !== 'endpoint') forwarded.append(k, v);

    let body: unknown;
    if (method === 'POST' || method === 'PUT') {
      if (hasBody(req) && !isJson(req.headers['content-type'])) {
        return fail(
          415,
          'Unsupported Media Type',
          'the body must be JSON (Content-Type: application/json)',
        );
      }
      body = hasBody(req) ? req.body : undefined;
    }
    return this.forward(method, check.path, forwarded, body);
  }

  private async forward(
    method: AdvowareMethod,
    path: string,
    query: URLSearchParams,
    body: unknown,
  ): Promise<Answer> {
    const limit = this.config.proxy.maxResponseBytes;
    try {
      const res = await this.advoware.request<Readable>(method, path, {
        query,
        body,
        responseType: 'stream',
        maxResponseBytes: limit,
        // Caller-chosen paths: one metric label for all, never one per endpoint.
        metricRoute: 'proxy',
        timeoutMs: this.config.proxy.timeoutMs,
        // The caller decides about repeating its call; a proxy that retries hides the upstream's answer and its time.
        attempts: 1,
      });
      const stream = res.data;
      const contentType = res.headers['content-type'] ?? '';
      if (Number(res.headers['content-length'] ?? 0) > limit) {
        stream.destroy();
        return tooLarge(limit);
      }
      if (isJson(contentType)) {
        const bytes = await readAtMost(stream, limit);
        if (bytes === undefined) return tooLarge(limit);
        if (bytes.length === 0) return { status: 200, json: { result: null } };
        try {
          return { status: 200, json: { result: JSON.parse(bytes.toString('utf8')) as unknown } };
        } catch {
          // Labelled JSON but is not: hand the bytes over as they came.
          return { status: 200, raw: rawAnswer(bytes, null, res.headers, contentType, limit) };
        }
      }
      const first = await firstChunk(stream);
      if (first === undefined) return { status: 200, json: { result: null } };
      return { status: 200, raw: rawAnswer(first, stream, res.headers, contentType, limit) };
    } catch (err) {
      return this.mapError(err);
    }
  }

  private mapError(err: unknown): Answer {
    // Anything from the token endpoint stays here: its body is the security gateway's,
    // about the firm's credentials, and no business of a proxy client.
    if (err instanceof AdvowareAuthenticationError) {
      this.logger.error(`proxy: ${err.message}`);
      return fail(502, "Advoware refused the hub's credentials");
    }
    if (err instanceof UpstreamError && this.isTokenCall(err)) {
      this.logger.error(`proxy: token request failed: ${err.message}`);
      return fail(503, 'Advoware sign-in is unavailable; try again later', null, {
        'Retry-After': '30',
      });
    }
    return mapError(err);
  }

  private isTokenCall(err: UpstreamError): boolean {
    return err.path !== undefined && err.path === this.config.advoware.authUrl.split('?')[0];
  }
}

function tooLarge(limit: number): Answer {
  return fail(502, 'Advoware answer too large', { limitBytes: limit });
}

function rawAnswer(
  first: Buffer,
  stream: Readable | null,
  upstreamHeaders: Record<string, string>,
  contentType: string,
  limit: number,
): NonNullable<Answer['raw']> {
  const headers: Record<string, string> = {
    'Content-Type': contentType || 'application/octet-stream',
  };
  if (upstreamHeaders['content-disposition'])
    headers['Content-Disposition'] = upstreamHeaders['content-disposition'];
  if (upstreamHeaders['content-length'] && stream)
    headers['Content-Length'] = upstreamHeaders['content-length'];
  return { stream: stream ?? emptyStream(), first, headers, limit };
}

function emptyStream(): Readable {
  return Readable.from([]);
}

/** The whole body if it stays within `limit` bytes; undefined (and the stream destroyed) otherwise. */
function readAtMost(stream: Readable, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    stream.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        stream.destroy();
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    });
    stream.once('end', () => resolve(Buffer.concat(chunks)));
    stream.once('error', (err) =>
      /maxContentLength/.test(err.message) ? resolve(undefined) : reject(err),
    );
  });
}

/** The first bytes of a stream, or undefined when it ends empty; the stream stays paused after. */
function firstChunk(stream: Readable): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      cleanup();
      stream.pause();
      resolve(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(undefined);
    };
    const onError = (err: Error) => {
      cleanup();
      reject(err);
    };
    const cleanup = () => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
    };
    stream.on('data', onData);
    stream.once('end', onEnd);
    stream.once('error', onError);
  });
}

function mapError(err: unknown): Answer {
  if (err instanceof ValidationError) return fail(400, err.message);
  if (err instanceof UpstreamError) {
    if (err.status !== undefined && err.status >= 300 && err.status < 400) {
      // Never followed (it would take the token along) and never passed on (the
      // Location is Advoware's inside); an answer Advoware is not meant to give.
      return fail(502, `Advoware answered a redirect (${err.status}); not followed`);
    }
    if (err.status !== undefined) {
      const headers =
        err.status === 429 && err.retryAfterMs !== undefined
          ? { 'Retry-After': String(Math.ceil(err.retryAfterMs / 1000)) }
          : undefined;
      return fail(err.status, err.message, err.body, headers);
    }
    if (err.reason === 'answer too large') return fail(502, 'Advoware answer too large');
    const code = (err as { code?: string }).code;
    if (code === 'ECONNABORTED' || code === 'ETIMEDOUT' || err.reason === 'timeout') {
      return fail(504, 'Advoware did not answer in time', err.message);
    }
    return fail(502, 'Advoware unreachable', err.message);
  }
  throw err;
}

/**
 * Writes the answer; true when it went out whole. A streamed answer is cut (the
 * connection ends without the rest) when Advoware fails mid-way or passes the limit:
 * the status line is out by then, and a short body is the only honest signal left.
 */
function send(res: Response, answer: Answer): Promise<boolean> {
  res.status(answer.status);
  for (const [k, v] of Object.entries(answer.headers ?? {})) res.setHeader(k, v);
  if (!answer.raw) {
    res.json(answer.json);
    return Promise.resolve(true);
  }
  const { stream, first, headers, limit } = answer.raw;
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  // Bytes of any type pass through; a browser must not guess and render them as the hub's own page.
  res.setHeader('X-Content-Type-Options', 'nosniff');
  return new Promise<boolean>((resolve) => {
    let sent = first.length;
    let settled = false;
    const finish = (whole: boolean) => {
      if (settled) return;
      settled = true;
      if (!whole) {
        stream.destroy();
        res.destroy();
      }
      resolve(whole);
    };
    if (sent > limit) return finish(false);
    res.write(first);
    stream.on('data', (chunk: Buffer) => {
      sent += chunk.length;
      if (sent > limit) return finish(false);
      if (!res.write(chunk)) stream.pause();
    });
    res.on('drain', () => stream.resume());
    res.on('close', () => finish(res.writableFinished));
    const end = () => {
      res.once('finish', () => finish(true));
      res.end();
    };
    // A short answer can end in the same packet as its first bytes: 'end' is then
    // already emitted (a paused stream still ends once it holds nothing more).
    if (stream.readableEnded) return end();
    stream.once('end', end);
    stream.once('error', () => finish(false));
    stream.resume();
  });
}

function rawQuery(originalUrl: string): string {
  const i = originalUrl.indexOf('?');
  return i < 0 ? '' : originalUrl.slice(i + 1);
}

/** Whether the request carries a body at all, parsed or not (a text body is never parsed). */
function hasBody(req: Request): boolean {
  return (
    Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined
  );
}

function isJson(contentType: unknown): boolean {
  return typeof contentType === 'string' && /\bjson\b/i.test(contentType);
}
