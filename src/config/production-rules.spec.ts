import { readFileSync } from 'node:fs';
import { AppConfig } from './app-config.js';
import { EXAMPLE_SECRET_VALUES, checkProduction } from './production-rules.js';
import { testEnv } from '../../test/support/test-env.js';

const strong = (tag: string) => `${tag}-${'0123456789abcdef'.repeat(2)}`;

/** A production environment that passes: long, unpublished keys and signed webhooks. */
const GOOD: Record<string, string> = {
  NODE_ENV: 'production',
  OPS_API_KEY: strong('ops'),
  PROXY_API_KEYS: `${strong('proxy1')},${strong('proxy2')}`,
  ESPOCRM_WEBHOOK_SECRETS: `wh1:${strong('hook')}@document.create`,
};

const check = (overrides: Record<string, string | undefined>) =>
  checkProduction(AppConfig.fromEnv(testEnv({}, { ...GOOD, ...overrides })));

describe('production refuses unsafe settings', () => {
  it('accepts a sound production environment', () => {
    expect(check({})).toEqual({ problems: [], warnings: [] });
  });

  it.each<[string, Record<string, string | undefined>, RegExp]>([
    [
      'empty webhook secrets',
      { ESPOCRM_WEBHOOK_SECRETS: undefined },
      /^ESPOCRM_WEBHOOK_SECRETS: empty/,
    ],
    [
      'the sandbox ops key',
      { OPS_API_KEY: 'sandbox-ops-key-change-me' },
      /^OPS_API_KEY: is a value published in \.env\.example/,
    ],
    [
      'a long key with change-me',
      { OPS_API_KEY: `change-me-${strong('x')}` },
      /^OPS_API_KEY: contains "change-me"/,
    ],
    [
      'a long key with Sandbox',
      { OPS_API_KEY: `Sandbox-${strong('x')}` },
      /^OPS_API_KEY: contains/,
    ],
    [
      'a short ops key',
      { OPS_API_KEY: 'a'.repeat(31) },
      /^OPS_API_KEY: 31 characters; production needs at least 32/,
    ],
    [
      'a short second proxy key',
      { PROXY_API_KEYS: `${strong('p')},short-proxy-key-16` },
      /^PROXY_API_KEYS \(entry 2\): 18 characters/,
    ],
    [
      'the sandbox proxy key',
      { PROXY_API_KEYS: 'sandbox-proxy-key-change-me' },
      /^PROXY_API_KEYS \(entry 1\): is a value published/,
    ],
    [
      'a short webhook secret',
      {
        ESPOCRM_WEBHOOK_SECRETS: `wh1:${strong('a')}@document.create,wh2:tooshort@document.update`,
      },
      /^ESPOCRM_WEBHOOK_SECRETS \(webhook wh2\): 8 characters/,
    ],
    [
      'the sandbox EspoCRM key',
      { ESPOCRM_API_KEY: 'sandbox-espocrm-key' },
      /^ESPOCRM_API_KEY: is a value published/,
    ],
    [
      'the sandbox Advoware key',
      { ADVOWARE_API_KEY: 'c2FuZGJveC1hZHZvd2FyZS1rZXk=' },
      /^ADVOWARE_API_KEY: is a value published/,
    ],
    ['a sandbox Redis password', { REDIS_PASSWORD: 'sandbox' }, /^REDIS_PASSWORD: contains/],
  ])('refuses %s, naming the variable', (_what, overrides, problem) => {
    const { problems } = check(overrides);
    expect(problems).toContainEqual(expect.stringMatching(problem));
    // Only the variable changed is named (a published key may also be short: two reasons).
    const named = problems.map((p) => p.split(':')[0]);
    expect(new Set(named).size).toBe(1);
  });

  it('names every problem at once and never prints a value', () => {
    const { problems } = check({
      ESPOCRM_WEBHOOK_SECRETS: undefined,
      OPS_API_KEY: 'sandbox-ops-key-change-me',
      PROXY_API_KEYS: 'sandbox-proxy-key-change-me',
      XAI_API_KEY: 'sandbox-xai-files-key',
    });
    // The two hub keys are both published and short: two problems each.
    expect(problems).toHaveLength(6);
    expect(problems.join('\n')).not.toMatch(/sandbox-(ops|proxy|xai)/);
  });

  it('starts without webhook secrets only when ALLOW_UNSIGNED_WEBHOOKS=true, with a warning', () => {
    const result = check({ ESPOCRM_WEBHOOK_SECRETS: undefined, ALLOW_UNSIGNED_WEBHOOKS: 'true' });
    expect(result.problems).toEqual([]);
    expect(result.warnings).toHaveLength(1);
    expect(result.warnings[0]).toMatch(/ALLOW_UNSIGNED_WEBHOOKS=true.*NOT checked/);
  });

  it('leaves development and tests alone (short keys, no secrets)', () => {
    const config = AppConfig.fromEnv(testEnv({}, { OPS_API_KEY: 'sandbox-ops-key-change-me' }));
    expect(checkProduction(config)).toEqual({ problems: [], warnings: [] });
  });

  it('knows every secret value .env.example publishes', () => {
    const example = readFileSync('.env.example', 'utf8');
    const secretVars = [
      'OPS_API_KEY',
      'PROXY_API_KEYS',
      'ESPOCRM_API_KEY',
      'ADVOWARE_API_KEY',
      'ADVOWARE_PASSWORD',
      'XAI_API_KEY',
      'XAI_MANAGEMENT_KEY',
      'REDIS_PASSWORD',
      'ESPOCRM_WEBHOOK_SECRETS',
    ];
    for (const name of secretVars) {
      const line = new RegExp(`^${name}=(.*)$`, 'm').exec(example);
      expect(line).not.toBeNull();
      const raw = line![1].replace(/^"(.*)"$/, '$1');
      for (const value of raw
        .split(',')
        .map((v) => v.replace(/^[^:]*:/, ''))
        .filter(Boolean))
        expect(EXAMPLE_SECRET_VALUES).toContain(name === 'ESPOCRM_WEBHOOK_SECRETS' ? value : raw);
    }
  });
});

describe('production defaults', () => {
  it('switches Swagger and the queue dashboard off and binds metrics to loopback', () => {
    const prod = AppConfig.fromEnv(testEnv({}, { ...GOOD }));
    expect(prod.http).toMatchObject({
      swaggerEnabled: false,
      queueDashboardEnabled: false,
      metricsHost: '127.0.0.1',
    });
    const dev = AppConfig.fromEnv(testEnv({}, { NODE_ENV: 'development' }));
    expect(dev.http).toMatchObject({ swaggerEnabled: true, queueDashboardEnabled: true });
  });

  it('lets production switch both on again', () => {
    const prod = AppConfig.fromEnv(
      testEnv({}, { ...GOOD, SWAGGER_ENABLED: 'true', QUEUE_DASHBOARD_ENABLED: 'true' }),
    );
    expect(prod.http).toMatchObject({ swaggerEnabled: true, queueDashboardEnabled: true });
  });
});
