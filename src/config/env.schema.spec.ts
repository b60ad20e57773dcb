import { AppConfig } from './app-config.js';
import { ConfigValidationError, validateEnv } from './env.schema.js';
import { testEnv } from '../../test/support/test-env.js';

describe('environment validation', () => {
  it('accepts a complete environment and types it', () => {
    const config = AppConfig.fromEnv(testEnv({}, { PORT: '8080', APP_ROLE: 'worker' }));
    expect(config.port).toBe(8080);
    expect(config.runsHttp).toBe(false);
    expect(config.runsWorkers).toBe(true);
    expect(config.proxy.apiKeys).toHaveLength(2);
  });

  it('names every bad variable at once, with the reason', () => {
    const env = testEnv(
      {},
      {
        ESPOCRM_API_BASE_URL: 'not a url',
        ESPOCRM_API_KEY: undefined,
        OPS_API_KEY: 'short',
        REDIS_PORT: 'abc',
        APP_ROLE: 'both',
        VMH_BETEILIGTE_SYNC_CRON: '*/15 * * * *',
        ADVOWARE_API_KEY: 'not base64!',
        ESPOCRM_WEBHOOK_SECRETS: 'no-colon-here',
      },
    );
    let error: unknown;
    try {
      validateEnv(env);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigValidationError);
    const message = (error as Error).message;
    for (const name of [
      'ESPOCRM_API_BASE_URL',
      'ESPOCRM_API_KEY',
      'OPS_API_KEY',
      'REDIS_PORT',
      'APP_ROLE',
      'VMH_BETEILIGTE_SYNC_CRON',
      'ADVOWARE_API_KEY',
      'ESPOCRM_WEBHOOK_SECRETS',
    ]) {
      expect(message).toContain(name);
    }
    expect((error as ConfigValidationError).problems).toHaveLength(8);
    expect(message).toContain('six fields');
  });

  it('reads DOCUMENT_LINKS_CACHE_TTL_S as seconds, 0 turning the index off, and names a bad value', () => {
    expect(AppConfig.fromEnv(testEnv()).xai.documentLinksTtlSeconds).toBe(86400);
    expect(
      AppConfig.fromEnv(testEnv({}, { DOCUMENT_LINKS_CACHE_TTL_S: '0' })).xai
        .documentLinksTtlSeconds,
    ).toBe(0);
    for (const bad of ['-1', '1.5', 'a day', '99999999'])
      expect(() => validateEnv(testEnv({}, { DOCUMENT_LINKS_CACHE_TTL_S: bad }))).toThrow(
        /DOCUMENT_LINKS_CACHE_TTL_S: DOCUMENT_LINKS_CACHE_TTL_S must be/,
      );
  });

  it('requires the Google service account only when calendar sync is on', () => {
    expect(() => validateEnv(testEnv({}, { CALENDAR_SYNC_ENABLED: 'false' }))).not.toThrow();
    expect(() => validateEnv(testEnv({}, { CALENDAR_SYNC_ENABLED: 'true' }))).toThrow(
      /GOOGLE_SERVICE_ACCOUNT_EMAIL/,
    );
  });

  it('collects every configured secret for the logger to mask', () => {
    const config = AppConfig.fromEnv(testEnv({}, { ESPOCRM_WEBHOOK_SECRETS: 'wh1:hook-secret-1' }));
    expect(config.secrets).toEqual(
      expect.arrayContaining(['hook-secret-1', config.opsApiKey, config.espocrm.apiKey]),
    );
  });
});
