import type { AxiosResponse, InternalAxiosRequestConfig } from 'axios';
import type { UpstreamSystem } from '../errors/upstream.errors.js';
import { currentShadowScope } from './shadow-context.js';
import { upstreamPath } from './shadow-policy.js';

/** Set on a request answered by shadow mode, so metrics do not count a call that was never made. */
export const SHADOWED = Symbol('shadowed');

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Axios request interceptor of createUpstreamHttp: inside a shadow scope (a job of a
 * worker in SYNC_MODE=shadow) every non-read request is replaced by an adapter that
 * records it and answers synthetically (or throws ShadowStop). Reads, and instances
 * marked exempt (authentication), pass untouched.
 */
export function shadowAxiosInterceptor(system: UpstreamSystem, exempt: boolean) {
  return (config: InternalAxiosRequestConfig): InternalAxiosRequestConfig => {
    const scope = currentShadowScope();
    const method = (config.method ?? 'get').toUpperCase();
    if (!scope || exempt || READS.has(method)) return config;
    const path = upstreamPath(config.baseURL, config.url);
    (config as InternalAxiosRequestConfig & { [SHADOWED]?: boolean })[SHADOWED] = true;
    config.adapter = async (cfg: InternalAxiosRequestConfig): Promise<AxiosResponse> => {
      const answer = await scope.recorder.intercept(scope, {
        system,
        method,
        path,
        body: bodyOf(cfg.data),
      });
      return {
        data: answer.data,
        status: answer.status,
        statusText: 'shadow',
        headers: {},
        config: cfg,
        request: {},
      };
    };
    return config;
  };
}

export function isShadowed(config: unknown): boolean {
  return (config as { [SHADOWED]?: boolean } | undefined)?.[SHADOWED] === true;
}

/** Options of a gaxios request, as far as shadow mode reads them. */
interface GaxiosLikeOptions {
  url?: string | URL;
  method?: string;
  data?: unknown;
  body?: unknown;
  adapter?: unknown;
}

/**
 * The same for googleapis (gaxios), added to each JWT client's transporter, which
 * carries the token exchange and every Calendar API call: the token exchange (any of
 * `tokenUrls`) passes, writes are recorded and answered. The record is made here, not
 * in the adapter: gaxios wraps an adapter's error as a network error (which the
 * client would retry), while an interceptor's error reaches the caller as it is.
 */
export function shadowGaxiosInterceptor(tokenUrls: readonly string[]) {
  return {
    resolved: async <O extends GaxiosLikeOptions>(opts: O): Promise<O> => {
      const scope = currentShadowScope();
      const method = (opts.method ?? 'GET').toUpperCase();
      const url = String(opts.url ?? '');
      if (!scope || READS.has(method) || tokenUrls.includes(url)) return opts;
      const answer = await scope.recorder.intercept(scope, {
        system: 'google',
        method,
        path: new URL(url).pathname,
        body: bodyOf(opts.data ?? opts.body),
      });
      opts.adapter = (prepared: O) =>
        Promise.resolve({
          config: prepared,
          data: answer.data,
          status: answer.status,
          statusText: 'shadow',
          ok: true,
          headers: new Headers(),
        });
      return opts;
    },
  };
}

/** JSON bodies parsed; an upload described by its file parts; anything else left out. */
export function bodyOf(data: unknown): unknown {
  if (typeof data === 'string') {
    try {
      return JSON.parse(data) as unknown;
    } catch {
      return data.length > 0 ? `${data.length} characters of text` : undefined;
    }
  }
  if (data instanceof FormData) {
    const parts: string[] = [];
    for (const [name, value] of data.entries()) {
      parts.push(
        typeof value === 'string'
          ? `${name}=${value}`
          : `${name}: upload ${value.name} (${value.size} bytes, ${value.type})`,
      );
    }
    return parts.join('; ');
  }
  if (Buffer.isBuffer(data)) return `${data.length} bytes`;
  if (data && typeof data === 'object') return data;
  return undefined;
}
