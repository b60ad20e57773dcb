import type { Logger } from '@nestjs/common';
import type { AxiosInstance, AxiosResponse } from 'axios';
import type { Redis } from 'ioredis';
import type { AppConfig } from '../../config/app-config.js';
import { UpstreamError } from '../../core/errors/upstream.errors.js';
import { upstreamSibling } from '../../core/http/upstream-http.js';
import type { HubMetrics } from '../../core/metrics/hub-metrics.js';
import {
  type AdvowareTokenAnswer,
  newTokenRequest,
  tokenExpiresAt,
} from './advoware-token.signing.js';
import { AdvowareTokenStore } from './advoware-token.store.js';
import { AdvowareAuthenticationError, advowareReason } from './advoware.errors.js';

/** Used when the gateway names no expiry: the documented lifetime is about 55 minutes. */
const DEFAULT_LIFETIME_MS = 55 * 60 * 1000;

/**
 * The Advoware token, shared through Redis: the store caches and refreshes it, the
 * fetch below asks the security gateway (a sibling of `api` with its own metric label).
 */
export function advowareTokenStore(
  config: AppConfig,
  metrics: HubMetrics,
  cache: Redis,
  api: AxiosInstance,
  logger: Logger,
): AdvowareTokenStore {
  const a = config.advoware;
  // The token POST goes to ADVOWARE_AUTH_URL (absolute), with its own metric label.
  const gateway = upstreamSibling(
    api,
    { baseURL: '' },
    {
      system: 'advoware',
      metrics,
      routeOf: () => 'Token',
      reasonOf: (res) => advowareReason(res.data),
      // Authentication, not a write: shadow mode (src/core/shadow) lets it through.
      shadowExempt: true,
    },
  );
  return new AdvowareTokenStore({
    redis: cache,
    // The queue prefix separates deployments (and test runs) sharing one Redis; instances of one deployment share it.
    key: `${config.queue.prefix}:advoware:token`,
    marginMs: a.tokenRefreshMarginSeconds * 1000,
    lockTtlMs: a.timeoutMs + 5000,
    fetch: () => fetchAdvowareToken(gateway, config, logger),
    onRefresh: (reason) => metrics.tokenRefreshes.inc({ reason }),
    logger,
  });
}

async function fetchAdvowareToken(
  gateway: AxiosInstance,
  config: AppConfig,
  logger: Logger,
): Promise<{ token: string; expiresAt: number }> {
  const a = config.advoware;
  const body = newTokenRequest({
    appId: a.appId,
    kanzlei: a.kanzlei,
    database: a.database,
    user: a.user,
    password: a.password,
    role: a.role,
    product: a.product,
    apiKey: a.apiKey,
  });
  let res: AxiosResponse<AdvowareTokenAnswer>;
  try {
    res = await gateway.post<AdvowareTokenAnswer>(a.authUrl, body);
  } catch (err) {
    if (err instanceof UpstreamError && !err.transient) {
      throw new AdvowareAuthenticationError(
        'advoware',
        `Advoware security gateway refused the token request (${err.status}${err.reason ? `: ${err.reason}` : ''}); ` +
          'check ADVOWARE_API_KEY, ADVOWARE_APP_ID, ADVOWARE_KANZLEI, ADVOWARE_DATABASE, ADVOWARE_USER and ADVOWARE_PASSWORD',
        { status: err.status, reason: err.reason, body: err.body, method: 'POST', path: 'Token' },
      );
    }
    throw err;
  }
  const receivedAt = Date.now();
  const token = res.data?.access_token;
  if (typeof token !== 'string' || token === '') {
    throw new AdvowareAuthenticationError(
      'advoware',
      'Advoware security gateway answered without access_token',
      {
        status: res.status,
        body: res.data,
      },
    );
  }
  let expiresAt = tokenExpiresAt(res.data, receivedAt);
  if (expiresAt === undefined) {
    logger.warn('Advoware token answer names no expiry; assuming 55 minutes');
    expiresAt = receivedAt + DEFAULT_LIFETIME_MS;
  }
  return { token, expiresAt };
}
