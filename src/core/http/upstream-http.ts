import http from 'node:http';
import https from 'node:https';
import { type DynamicModule, Logger } from '@nestjs/common';
import { HttpModule, type HttpService } from '@nestjs/axios';
import axios, {
  AxiosError,
  type AxiosInstance,
  type AxiosRequestConfig,
  type AxiosResponse,
} from 'axios';
import { AppConfig } from '../../config/app-config.js';
import type { UpstreamSystem } from '../errors/upstream.errors.js';
import type { HubMetrics } from '../metrics/hub-metrics.js';
import { isShadowed, shadowAxiosInterceptor } from '../shadow/shadow-http.js';
import { isShadowStop } from '../shadow/shadow-stop.error.js';
import { upstreamAdapter } from './undici.adapter.js';
import { isReadable, readHead, toUpstreamError } from './upstream-error.mapper.js';

/** The defaults every call to one upstream host shares: what HttpModule.registerAsync gets. */
export interface UpstreamTarget {
  baseURL: string;
  timeoutMs: number;
  headers?: Record<string, string>;
  /** Largest answer body read into memory; default per system (DEFAULT_MAX_RESPONSE_BYTES). */
  maxResponseBytes?: number;
}

/** What the hub's interceptors need to know about the instance they sit on. */
export interface UpstreamInterceptorOptions {
  system: UpstreamSystem;
  metrics: HubMetrics;
  /** Reads the human reason out of an error answer (EspoCRM: `X-Status-Reason`). */
  reasonOf?: (response: AxiosResponse) => string | undefined;
  /** Collapses ids in a path into a template for metric labels. */
  routeOf?: (path: string) => string;
  /** Never shadowed in SYNC_MODE=shadow: authentication (Advoware's token POST). */
  shadowExempt?: boolean;
}

export type UpstreamHttpOptions = UpstreamTarget & UpstreamInterceptorOptions;

const MB = 1024 * 1024;

/**
 * Answers larger than this are refused instead of buffered (axios' default is
 * unlimited: one huge answer could take the heap of a 192 MB process). JSON answers
 * of these systems are lists of at most a few hundred records; file downloads
 * stream with their own limits (EspoCRM attachments, the proxy).
 */
export const DEFAULT_MAX_RESPONSE_BYTES: Record<UpstreamSystem, number> = {
  espocrm: 16 * MB,
  advoware: 32 * MB, // a year of Termine of a busy kuerzel is a few MB
  xai: 16 * MB,
  google: 16 * MB,
  redis: 16 * MB,
};
/** Request bodies the hub itself builds; the largest is an xAI upload (50 MB file plus form framing). */
export const MAX_REQUEST_BYTES = 64 * MB;
/**
 * Backstop for streamed answers (EspoCRM attachments, proxied documents): their
 * readers enforce their own, smaller limits while the bytes arrive.
 */
export const MAX_STREAM_BYTES = 64 * MB;
/** Error bodies read from a streamed answer: enough for any reason text, never a whole file. */
const MAX_ERROR_BODY_BYTES = 64 * 1024;

/** Per-call label instead of the path template, e.g. `proxy` for caller-chosen paths. */
export interface MetricRouteConfig {
  metricRoute?: string;
}

const MAX_LABEL_SEGMENTS = 6;
const ID_SEGMENT = /^[0-9]+$|^[0-9a-f]{8,}$|^[a-z]+_[0-9a-f-]{8,}$|^[0-9a-f-]{36}$/i;
/** A resource name a client writes into its code: a word, maybe versioned (`v1`, `advonet`, `Beteiligte`). */
const NAME_SEGMENT = /^[A-Za-z][A-Za-z_-]{0,39}$|^v[0-9]{1,2}$/;

/**
 * The metric label of an upstream path: ids (hex, digits, uuids, `file_…`) and any
 * segment that is not a plain resource name become `:id`, and the depth is capped,
 * so labels stay few whatever a path holds (an email as calendar id, a file name).
 */
export function defaultRouteOf(path: string): string {
  const segments = path
    .split('?')[0]
    .split('/')
    .map((seg) => (seg === '' || (NAME_SEGMENT.test(seg) && !ID_SEGMENT.test(seg)) ? seg : ':id'));
  if (segments.length > MAX_LABEL_SEGMENTS) {
    segments.length = MAX_LABEL_SEGMENTS;
    segments.push('…');
  }
  return segments.join('/');
}

/**
 * The sockets of every upstream call: Node's global agent's settings (keep-alive, LIFO,
 * idle sockets closed after 5 s, before the servers' usual keep-alive timeout), with
 * TCP keep-alive at axios' 60 s. axios sets 60 s on each request's socket and the
 * global agent 1 s whenever it takes the socket back: two setsockopt calls per request,
 * a visible share of a worker's CPU in the storm benchmark. With one value the socket
 * sees it once.
 */
const AGENT_OPTIONS = {
  keepAlive: true,
  keepAliveMsecs: 60_000,
  scheduling: 'lifo',
  timeout: 5000,
} as const;
const httpAgent = new http.Agent(AGENT_OPTIONS);
const httpsAgent = new https.Agent(AGENT_OPTIONS);

/**
 * The axios defaults of one upstream. Status handling is the interceptors' (every
 * non-2xx becomes a typed error), bodies are bounded both ways, and redirects are never
 * followed: one would carry X-Api-Key / Authorization to whatever host it names, so a
 * 3xx is an error like any other non-2xx.
 */
export function upstreamAxiosConfig(
  system: UpstreamSystem,
  target: UpstreamTarget,
): AxiosRequestConfig {
  return {
    baseURL: target.baseURL,
    timeout: target.timeoutMs,
    headers: target.headers,
    validateStatus: (s) => s >= 200 && s < 300,
    maxBodyLength: MAX_REQUEST_BYTES,
    maxContentLength: target.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES[system],
    maxRedirects: 0,
    adapter: upstreamAdapter,
    httpAgent,
    httpsAgent,
    // axios looks the proxy variables up on every call; without any, say so once.
    ...(proxyConfigured() ? {} : { proxy: false }),
  };
}

/** Whether the environment names a proxy (the variables axios' proxy-from-env reads). */
function proxyConfigured(env: NodeJS.ProcessEnv = process.env): boolean {
  return ['http_proxy', 'https_proxy', 'all_proxy'].some((name) =>
    [name, name.toUpperCase(), `npm_config_${name}`].some((k) => (env[k] ?? '') !== ''),
  );
}

/**
 * The HttpModule of one upstream system, imported by its integration's module: the
 * HttpService it provides carries the system's defaults (target read from AppConfig);
 * the client puts the hub's interceptors on it (upstreamAxios).
 */
export function upstreamHttpModule(
  system: UpstreamSystem,
  target: (config: AppConfig) => UpstreamTarget,
): DynamicModule {
  return HttpModule.registerAsync({
    inject: [AppConfig],
    useFactory: (config: AppConfig) => upstreamAxiosConfig(system, target(config)),
  });
}

/**
 * A client's axios instance: the module's HttpService (Nest injects it) or, where a
 * client is built without Nest (doctor, client tests), one with the same defaults;
 * either way with the hub's interceptors. Clients call `axiosRef` for promises.
 */
export function upstreamAxios(
  http: HttpService | undefined,
  target: UpstreamTarget,
  options: UpstreamInterceptorOptions,
): AxiosInstance {
  const instance = http?.axiosRef ?? axios.create(upstreamAxiosConfig(options.system, target));
  return applyUpstreamInterceptors(instance, options);
}

/**
 * A second instance of the same system on the same defaults, for another host or key
 * (Advoware's token gateway, xAI's management API). axios' `create` copies the
 * defaults, not the interceptors, so it gets its own.
 */
export function upstreamSibling(
  of: AxiosInstance,
  target: Pick<UpstreamTarget, 'baseURL' | 'headers'>,
  options: UpstreamInterceptorOptions,
): AxiosInstance {
  return applyUpstreamInterceptors(
    of.create({ baseURL: target.baseURL, headers: target.headers }),
    options,
  );
}

/** A standalone instance with defaults and interceptors (tests of the interceptors). */
export function createUpstreamHttp(options: UpstreamHttpOptions): AxiosInstance {
  return applyUpstreamInterceptors(
    axios.create(upstreamAxiosConfig(options.system, options)),
    options,
  );
}

/** Instances that already carry the interceptors: twice would count and map every call twice. */
const intercepted = new WeakSet<AxiosInstance>();

/**
 * The hub's interceptors, the one place every axios call to an upstream passes:
 * shadow mode, metrics per route and status, a debug line per call (the logger masks
 * secrets), a bounded read of streamed error bodies, and every failure turned into the
 * hub's error classes so the retry policy can decide. Clients add auth on top.
 */
export function applyUpstreamInterceptors(
  instance: AxiosInstance,
  options: UpstreamInterceptorOptions,
): AxiosInstance {
  if (intercepted.has(instance)) {
    throw new Error(`${options.system}: the upstream interceptors are already on this instance`);
  }
  intercepted.add(instance);
  const logger = new Logger(`${options.system}-http`);
  const jsonLimit = instance.defaults.maxContentLength;
  const routeOf = options.routeOf ?? defaultRouteOf;

  // Both request interceptors are synchronous and say so: axios then runs them inline
  // instead of chaining a promise per interceptor in front of every call.
  const inline = { synchronous: true };
  // --- shadow mode (src/core/shadow): inside a shadow job a write is recorded, not sent ---
  instance.interceptors.request.use(
    shadowAxiosInterceptor(options.system, options.shadowExempt === true),
    null,
    inline,
  );

  instance.interceptors.request.use(
    (config) => {
      (config as AxiosRequestConfig & { startedAt?: number }).startedAt = performance.now();
      // A stream is not held in memory by axios; unless the call names its own limit it
      // gets the larger backstop, and its reader decides.
      if (config.responseType === 'stream' && config.maxContentLength === jsonLimit) {
        config.maxContentLength = MAX_STREAM_BYTES;
      }
      return config;
    },
    null,
    inline,
  );

  const observe = (config: AxiosRequestConfig | undefined, status: number | string) => {
    if (isShadowed(config)) return; // never sent (shadow mode)
    const startedAt = (config as (AxiosRequestConfig & { startedAt?: number }) | undefined)
      ?.startedAt;
    const seconds = startedAt ? (performance.now() - startedAt) / 1000 : 0;
    const method = (config?.method ?? 'get').toUpperCase();
    const route =
      (config as (AxiosRequestConfig & MetricRouteConfig) | undefined)?.metricRoute ??
      routeOf(config?.url ?? '');
    options.metrics.upstream.observe(
      { system: options.system, route, method, status: String(status) },
      seconds,
    );
    // Built only when written: this runs for every upstream call.
    if (Logger.isLevelEnabled('debug'))
      logger.debug(
        `${method} ${config?.url ?? ''} → ${status} in ${Math.round(seconds * 1000)} ms`,
      );
  };

  instance.interceptors.response.use(
    (response) => {
      observe(response.config, response.status);
      return response;
    },
    async (err: unknown) => {
      if (isShadowStop(err)) return Promise.reject(err); // shadow mode: not an upstream answer
      const ax = err as AxiosError;
      observe(ax.config, ax.response?.status ?? ax.code ?? 'error');
      // A streamed call's error body is a stream: read a bounded head of it so the
      // error carries a readable reason (and the socket is released).
      if (ax.response && isReadable(ax.response.data)) {
        ax.response.data = await readHead(ax.response.data, MAX_ERROR_BODY_BYTES);
      }
      return Promise.reject(toUpstreamError(options, ax));
    },
  );
  return instance;
}
