import { Logger } from '@nestjs/common';
import axios, {
  AxiosError,
  type AxiosInstance,
  type AxiosRequestConfig,
  type AxiosResponse,
} from 'axios';
import {
  TransientUpstreamError,
  type UpstreamError,
  type UpstreamSystem,
  parseRetryAfter,
  upstreamErrorForStatus,
} from '../errors/upstream.errors.js';
import type { HubMetrics } from '../metrics/hub-metrics.js';
import { isShadowed, shadowAxiosInterceptor } from '../shadow/shadow-http.js';
import { isShadowStop } from '../shadow/shadow-stop.error.js';

export interface UpstreamHttpOptions {
  system: UpstreamSystem;
  baseURL: string;
  timeoutMs: number;
  metrics: HubMetrics;
  headers?: Record<string, string>;
  /** Reads the human reason out of an error answer (EspoCRM: `X-Status-Reason`). */
  reasonOf?: (response: AxiosResponse) => string | undefined;
  /** Collapses ids in a path into a template for metric labels. */
  routeOf?: (path: string) => string;
  /** Never shadowed in SYNC_MODE=shadow: authentication (Advoware's token POST). */
  shadowExempt?: boolean;
}

/** Ids (hex, digits, uuids, `file_…`) replaced by `:id`, so metric labels stay few. */
export function defaultRouteOf(path: string): string {
  return path
    .split('?')[0]
    .split('/')
    .map((seg) =>
      /^[0-9]+$|^[0-9a-f]{8,}$|^[a-z]+_[0-9a-f-]{8,}$|^[0-9a-f-]{36}$/i.test(seg) ? ':id' : seg,
    )
    .join('/');
}

/**
 * One axios instance per upstream: timeout, metrics per route and status, a debug
 * line per call (the logger masks secrets), and every failure turned into the
 * hub's error classes so the retry policy can decide. Clients add auth on top.
 */
export function createUpstreamHttp(options: UpstreamHttpOptions): AxiosInstance {
  const logger = new Logger(`${options.system}-http`);
  const instance = axios.create({
    baseURL: options.baseURL,
    timeout: options.timeoutMs,
    headers: options.headers,
    // Status handling is ours: every non-2xx becomes a typed error below.
    validateStatus: (s) => s >= 200 && s < 300,
    maxBodyLength: Infinity,
    maxContentLength: Infinity,
  });
  const routeOf = options.routeOf ?? defaultRouteOf;

  // --- shadow mode (src/core/shadow): inside a shadow job a write is recorded, not sent ---
  instance.interceptors.request.use(
    shadowAxiosInterceptor(options.system, options.shadowExempt === true),
  );

  instance.interceptors.request.use((config) => {
    (config as AxiosRequestConfig & { startedAt?: number }).startedAt = performance.now();
    return config;
  });

  const observe = (config: AxiosRequestConfig | undefined, status: number | string) => {
    if (isShadowed(config)) return; // never sent (shadow mode)
    const startedAt = (config as (AxiosRequestConfig & { startedAt?: number }) | undefined)
      ?.startedAt;
    const seconds = startedAt ? (performance.now() - startedAt) / 1000 : 0;
    const method = (config?.method ?? 'get').toUpperCase();
    const route = routeOf(config?.url ?? '');
    options.metrics.upstream.observe(
      { system: options.system, route, method, status: String(status) },
      seconds,
    );
    logger.debug(`${method} ${config?.url ?? ''} → ${status} in ${Math.round(seconds * 1000)} ms`);
  };

  instance.interceptors.response.use(
    (response) => {
      observe(response.config, response.status);
      return response;
    },
    (err: unknown) => {
      if (isShadowStop(err)) return Promise.reject(err); // shadow mode: not an upstream answer
      const ax = err as AxiosError;
      observe(ax.config, ax.response?.status ?? ax.code ?? 'error');
      return Promise.reject(toUpstreamError(options, ax));
    },
  );
  return instance;
}

export function toUpstreamError(
  options: Pick<UpstreamHttpOptions, 'system' | 'reasonOf'>,
  err: AxiosError,
): UpstreamError | AxiosError {
  if (!axios.isAxiosError(err)) return err;
  const method = (err.config?.method ?? 'get').toUpperCase();
  const path = (err.config?.url ?? '').split('?')[0];
  if (err.response) {
    const reason = options.reasonOf?.(err.response) ?? reasonFromBody(err.response.data);
    return upstreamErrorForStatus(options.system, err.response.status, {
      reason,
      method,
      path,
      body: err.response.data,
      retryAfterMs: parseRetryAfter(err.response.headers?.['retry-after']),
    });
  }
  // No answer: timeout, refused, reset. The request may or may not have reached the
  // upstream, which is why every create in the hub looks for its reference first.
  const kind =
    err.code === 'ECONNABORTED' || err.code === 'ETIMEDOUT'
      ? 'timeout'
      : (err.code ?? 'network error');
  const e = new TransientUpstreamError(
    options.system,
    `${options.system} ${kind} on ${method} ${path}`,
    {
      method,
      path,
      reason: kind,
    },
  );
  (e as { code?: string }).code = err.code;
  return e;
}

function reasonFromBody(data: unknown): string | undefined {
  if (data === null || data === undefined) return undefined;
  if (typeof data === 'string') return data.slice(0, 300) || undefined;
  if (Buffer.isBuffer(data)) return data.toString('utf8').slice(0, 300) || undefined;
  const d = data as { error?: unknown; message?: unknown };
  if (typeof d.error === 'string') return d.error;
  if (
    d.error &&
    typeof d.error === 'object' &&
    typeof (d.error as { message?: unknown }).message === 'string'
  ) {
    return (d.error as { message: string }).message;
  }
  if (typeof d.message === 'string') return d.message;
  return JSON.stringify(data).slice(0, 300);
}
