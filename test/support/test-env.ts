import { randomUUID } from 'node:crypto';
import { AppConfig } from '../../src/config/app-config.js';

/**
 * A complete, valid environment for tests. Every test gets its own QUEUE_PREFIX so
 * queues, locks and dedupe keys of different tests never meet in the shared Redis.
 * Secrets are distinctive so the secret-leak tests can search logs for them.
 */
export const TEST_SECRETS = {
  OPS_API_KEY: 'ops-key-0123456789abcdef',
  PROXY_API_KEYS: 'proxy-key-one-0123456789,proxy-key-two-0123456789',
  ESPOCRM_API_KEY: 'espo-key-5e1c7a9d3b',
  // base64 of "advoware-hmac-key-secret-bytes"
  ADVOWARE_API_KEY: 'YWR2b3dhcmUtaG1hYy1rZXktc2VjcmV0LWJ5dGVz',
  ADVOWARE_PASSWORD: 'advo-pass-8f3e2d1c',
  XAI_API_KEY: 'xai-files-key-71b2c3',
  XAI_MANAGEMENT_KEY: 'xai-mgmt-key-94d5e6',
} as const;

export interface FakeUrls {
  espocrm?: string;
  advoware?: string;
  advowareAuth?: string;
  xai?: string;
  xaiManagement?: string;
  google?: string;
  googleToken?: string;
}

export function testEnv(
  urls: FakeUrls = {},
  overrides: Record<string, string | undefined> = {},
): Record<string, string | undefined> {
  return {
    NODE_ENV: 'test',
    PORT: '0',
    LOG_LEVEL: 'warn',
    LOG_FORMAT: 'pretty',
    REDIS_HOST: '127.0.0.1',
    REDIS_PORT: '6379',
    QUEUE_PREFIX: `t${randomUUID().slice(0, 8)}`,
    WEBHOOK_DEBOUNCE_MS: '0',
    JOB_BACKOFF_BASE_MS: '50',
    JOB_BACKOFF_MAX_MS: '500',
    LOCK_TTL_MS: '5000',
    ESPOCRM_API_BASE_URL: urls.espocrm ?? 'http://127.0.0.1:9/api/v1',
    ADVOWARE_API_BASE_URL: urls.advoware ?? 'http://127.0.0.1:9',
    ADVOWARE_AUTH_URL: urls.advowareAuth ?? 'http://127.0.0.1:9/api/v1/Token',
    ADVOWARE_APP_ID: 'bitbylaw-hub-test',
    ADVOWARE_KANZLEI: 'TESTKANZLEI',
    ADVOWARE_DATABASE: 'TESTDB',
    ADVOWARE_USER: 'hub',
    XAI_API_BASE_URL: urls.xai ?? 'http://127.0.0.1:9',
    XAI_MANAGEMENT_API_BASE_URL: urls.xaiManagement ?? urls.xai ?? 'http://127.0.0.1:9',
    GOOGLE_API_ROOT_URL: urls.google ?? 'http://127.0.0.1:9/',
    GOOGLE_TOKEN_URL: urls.googleToken ?? `${urls.google ?? 'http://127.0.0.1:9'}/token`,
    CALENDAR_SYNC_ENABLED: 'false',
    ...TEST_SECRETS,
    ...overrides,
  };
}

export function testConfig(
  urls: FakeUrls = {},
  overrides: Record<string, string | undefined> = {},
): AppConfig {
  return AppConfig.fromEnv(testEnv(urls, overrides));
}
