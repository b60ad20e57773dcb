import type { HttpService } from '@nestjs/axios';
import { Logger } from '@nestjs/common';
import type { AxiosInstance, AxiosResponse } from 'axios';
import type { Redis } from 'ioredis';
import type { AppConfig } from '../../config/app-config.js';
import { UpstreamUnauthorizedError, ValidationError } from '../../core/errors/upstream.errors.js';
import { type UpstreamTarget, upstreamAxios } from '../../core/http/upstream-http.js';
import { withRetry } from '../../core/http/with-retry.js';
import type { HubMetrics } from '../../core/metrics/hub-metrics.js';
import { advowareTokenStore } from './advoware-token.client.js';
import type { AdvowareTokenStore } from './advoware-token.store.js';
import { advowareReason, decodeErrorBody } from './advoware.errors.js';
import { readAllPages } from './advoware.paging.js';
import {
  type AdvowarePathName,
  type AdvowarePaths,
  DEFAULT_ADVOWARE_PATHS,
  advowarePath,
} from './advoware.paths.js';
import type { AdvowareMethod, AdvowareRequestOptions, AdvowareResponse } from './advoware.types.js';

/** The defaults of every Advoware call (AdvowareModule's HttpModule); auth is per call. */
export function advowareHttpTarget(config: AppConfig): UpstreamTarget {
  return { baseURL: config.advoware.baseUrl, timeoutMs: config.advoware.timeoutMs };
}

/**
 * The request layer under AdvowareClient (which extends it with the typed resource
 * helpers): HMAC-512 token from the security gateway (advoware-token.client.ts),
 * shared through Redis, refreshed once on a 401; the generic `request` the proxy uses.
 * Not a provider of its own: AdvowareClient is the only subclass and the only injectable.
 */
export abstract class AdvowareTransport {
  protected readonly logger = new Logger('AdvowareClient');
  protected readonly paths: AdvowarePaths;
  private readonly http: AxiosInstance;
  private readonly tokens: AdvowareTokenStore;

  /** `http`: AdvowareModule's HttpService (required by Nest); absent only without Nest (doctor, tests). */
  constructor(config: AppConfig, metrics: HubMetrics, cache: Redis, http?: HttpService) {
    this.paths = config.advoware.paths ?? DEFAULT_ADVOWARE_PATHS;
    this.http = upstreamAxios(http, advowareHttpTarget(config), {
      system: 'advoware',
      metrics,
      reasonOf: (res) => advowareReason(res.data),
    });
    this.tokens = advowareTokenStore(config, metrics, cache, this.http, this.logger);
  }

  /** True while the shared Redis token cache is unreachable and a process-local token is used (readiness). */
  cacheDegraded(): boolean {
    return this.tokens.degraded();
  }

  /**
   * Any call below the API base (`path` relative to ADVOWARE_API_BASE_URL). Non-2xx
   * answers throw the hub's upstream errors carrying `status`, `reason` and `body`.
   * GET/PUT/DELETE are retried in-call on transient errors; POST never is, since a
   * lost answer may mean the record exists.
   */
  async request<T = unknown>(
    method: AdvowareMethod,
    path: string,
    opts: AdvowareRequestOptions = {},
  ): Promise<AdvowareResponse<T>> {
    assertRelativePath(path);
    const send = () => this.authorized<T>(method, path, opts);
    if (method === 'POST') return send();
    return withRetry(send, {
      attempts: opts.attempts ?? 3,
      baseMs: 200,
      maxMs: 2000,
      onRetry: (err, attempt, delay) =>
        this.logger.warn(
          `${method} ${path} attempt ${attempt} failed (${(err as Error).message}); retrying in ${delay} ms`,
        ),
    });
  }

  /** The configured request path of a resource (advoware.paths.ts). */
  path(
    name: AdvowarePathName,
    params: { betNr?: number | string } = {},
    ...segments: Array<number | string>
  ): string {
    return advowarePath(this.paths, name, params, ...segments);
  }

  /** Every item of a list, page by page (advoware.paging.ts), each page through `request`. */
  protected readAllPages(path: string, query: Record<string, string>): Promise<unknown[]> {
    const getPage = (q: Record<string, string>) => this.request<unknown>('GET', path, { query: q });
    return readAllPages(getPage, path, query, this.logger);
  }

  /** One call with the cached token; on a 401 one refresh and one retry. */
  private async authorized<T>(
    method: AdvowareMethod,
    path: string,
    opts: AdvowareRequestOptions,
  ): Promise<AdvowareResponse<T>> {
    const token = await this.tokens.get();
    try {
      return await this.send<T>(method, path, opts, token);
    } catch (err) {
      if (!(err instanceof UpstreamUnauthorizedError)) throw err;
      this.logger.warn(`Advoware answered 401 on ${method} ${path}; refreshing the token once`);
      await this.tokens.invalidate(token);
      let fresh = await this.tokens.get('unauthorized');
      // A refresh that was already under way may have handed back the token that just failed.
      if (fresh === token) fresh = await this.tokens.get('unauthorized');
      return this.send<T>(method, path, opts, fresh);
    }
  }

  private async send<T>(
    method: AdvowareMethod,
    path: string,
    opts: AdvowareRequestOptions,
    token: string,
  ): Promise<AdvowareResponse<T>> {
    let res: AxiosResponse<T>;
    try {
      res = await this.http.request<T>({
        method,
        url: path,
        params: toSearchParams(opts.query),
        // Serialised here so that any JSON value (a string, a number) goes out as JSON, not as form data.
        data: opts.body === undefined ? undefined : JSON.stringify(opts.body),
        responseType: opts.responseType ?? 'json',
        timeout: opts.timeoutMs,
        allowAbsoluteUrls: false,
        ...(opts.maxResponseBytes === undefined ? {} : { maxContentLength: opts.maxResponseBytes }),
        ...(opts.metricRoute === undefined ? {} : { metricRoute: opts.metricRoute }),
        headers: {
          Authorization: `Bearer ${token}`,
          Accept: 'application/json, */*',
          ...(opts.body === undefined ? {} : { 'Content-Type': 'application/json; charset=utf-8' }),
        },
      });
    } catch (err) {
      throw decodeErrorBody(err);
    }
    return { status: res.status, headers: flattenHeaders(res.headers), data: res.data };
  }
}

/** Defence in depth under the proxy's own validation: a path can never redirect the call to another host. */
function assertRelativePath(path: string): void {
  if (/^[a-z][a-z0-9+.-]*:/i.test(path) || path.startsWith('//') || path.includes('\\')) {
    throw new ValidationError(
      `Advoware path must be relative to the API base: ${path.slice(0, 100)}`,
    );
  }
}

function toSearchParams(query: AdvowareRequestOptions['query']): URLSearchParams | undefined {
  if (!query) return undefined;
  if (query instanceof URLSearchParams) return query;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    for (const v of Array.isArray(value) ? value : [value]) params.append(key, v);
  }
  return params;
}

function flattenHeaders(headers: AxiosResponse['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  const plain = typeof headers?.toJSON === 'function' ? headers.toJSON() : headers;
  for (const [key, value] of Object.entries(plain ?? {})) {
    if (value === undefined || value === null) continue;
    out[key.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
  }
  return out;
}
