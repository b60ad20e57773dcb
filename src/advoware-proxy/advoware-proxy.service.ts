import { Injectable, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
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
  raw?: { bytes: Buffer; headers: Record<string, string> };
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
    send(res, answer);
    const ms = Math.round(performance.now() - started);
    const line = `proxy key=${who} ${method} ${loggableEndpoint(endpoints[0])} → ${answer.status} in ${ms} ms`;
    if (answer.status >= 500) this.logger.warn(line);
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
    try {
      const res = await this.advoware.request<Buffer>(method, path, {
        query,
        body,
        responseType: 'arraybuffer',
        timeoutMs: this.config.proxy.timeoutMs,
        // The caller decides about repeating its call; a proxy that retries hides the upstream's answer and its time.
        attempts: 1,
      });
      const bytes = Buffer.from(res.data ?? []);
      const contentType = res.headers['content-type'] ?? '';
      if (bytes.length === 0) return { status: 200, json: { result: null } };
      if (isJson(contentType)) {
        try {
          return { status: 200, json: { result: JSON.parse(bytes.toString('utf8')) as unknown } };
        } catch {
          // Labelled JSON but is not: hand the bytes over as they came.
        }
      }
      const headers: Record<string, string> = {
        'Content-Type': contentType || 'application/octet-stream',
      };
      if (res.headers['content-disposition'])
        headers['Content-Disposition'] = res.headers['content-disposition'];
      return { status: 200, raw: { bytes, headers } };
    } catch (err) {
      return mapError(err);
    }
  }
}

function mapError(err: unknown): Answer {
  if (err instanceof AdvowareAuthenticationError) {
    return fail(502, "Advoware refused the hub's credentials", err.body);
  }
  if (err instanceof ValidationError) return fail(400, err.message);
  if (err instanceof UpstreamError) {
    if (err.status !== undefined) {
      const headers =
        err.status === 429 && err.retryAfterMs !== undefined
          ? { 'Retry-After': String(Math.ceil(err.retryAfterMs / 1000)) }
          : undefined;
      return fail(err.status, err.message, err.body, headers);
    }
    const code = (err as { code?: string }).code;
    if (code === 'ECONNABORTED' || code === 'ETIMEDOUT' || err.reason === 'timeout') {
      return fail(504, 'Advoware did not answer in time', err.message);
    }
    return fail(502, 'Advoware unreachable', err.message);
  }
  throw err;
}

function send(res: Response, answer: Answer): void {
  res.status(answer.status);
  for (const [k, v] of Object.entries(answer.headers ?? {})) res.setHeader(k, v);
  if (answer.raw) {
    for (const [k, v] of Object.entries(answer.raw.headers)) res.setHeader(k, v);
    // Bytes of any type pass through; a browser must not guess and render them as the hub's own page.
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.end(answer.raw.bytes);
    return;
  }
  res.json(answer.json);
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
