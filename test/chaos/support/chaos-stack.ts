import { randomUUID } from 'node:crypto';
import { signEspoWebhook } from '../../../src/core/webhook/espo-signature.js';
import { startAdvowareFake, type AdvowareFake } from '../../fakes/advoware/advoware.fake.js';
import { startEspoCrmFake, type EspoCrmFake } from '../../fakes/espocrm/espocrm.fake.js';
import {
  startGoogleCalendarFake,
  type GoogleCalendarFake,
} from '../../fakes/google-calendar/google-calendar.fake.js';
import {
  googleEnv,
  makeGoogleTestCredentials,
  type GoogleTestCredentials,
} from '../../fakes/google-calendar/google-credentials.js';
import { startXaiFake, type XaiFake } from '../../fakes/xai/xai.fake.js';
import { TEST_SECRETS, testEnv } from '../../support/test-env.js';

/**
 * Every secret the hub is configured with, set to a value that appears nowhere else,
 * so the secret scan can search all log output for each one.
 */
const ADVOWARE_KEY_BYTES = 'chaos-advoware-hmac-key-8e41c7b2d9';
export const CHAOS_SECRETS = {
  OPS_API_KEY: 'chaos-ops-key-3b7e19d4c2a85f60',
  PROXY_API_KEYS: 'chaos-proxy-key-a91f2c7e0d3b4856',
  ESPOCRM_API_KEY: 'chaos-espo-key-5d2e8a1f7c94b036',
  ADVOWARE_API_KEY: Buffer.from(ADVOWARE_KEY_BYTES).toString('base64'),
  ADVOWARE_API_SECRET: 'chaos-advo-secret-2c9f5a1e7b3d8046',
  ADVOWARE_PASSWORD: 'chaos-advo-pass-6a1d9e3c5f7b2084',
  XAI_API_KEY: 'chaos-xai-files-key-0f8b3e6d1a7c4925',
  XAI_MANAGEMENT_KEY: 'chaos-xai-mgmt-key-7c2a5f9e3b1d8064',
  REDIS_PASSWORD: 'chaos-redis-pass-4e7b1c9a2f5d8036',
} as const;
export const WEBHOOK_ID = 'wh-chaos-1';
export const WEBHOOK_SECRET = 'chaos-webhook-secret-9d3f6b2e8a1c5047';

export interface ChaosStack {
  espocrm: EspoCrmFake;
  advoware: AdvowareFake;
  xai: XaiFake;
  google: GoogleCalendarFake;
  googleCredentials: GoogleTestCredentials;
  close(): Promise<void>;
}

/** The four fakes on free loopback ports, accepting the chaos credentials. */
export async function startChaosStack(
  options: { writeHoldMs?: number; logBodies?: boolean } = {},
): Promise<ChaosStack> {
  const logBodies = options.logBodies ?? false;
  const googleCredentials = makeGoogleTestCredentials();
  const espocrm = await startEspoCrmFake({ apiKey: CHAOS_SECRETS.ESPOCRM_API_KEY, logBodies });
  const advoware = await startAdvowareFake({
    logBodies,
    writeHoldMs: options.writeHoldMs,
    credentials: {
      apiKey: CHAOS_SECRETS.ADVOWARE_API_KEY,
      password: CHAOS_SECRETS.ADVOWARE_PASSWORD,
    },
  });
  const xai = await startXaiFake({
    apiKey: CHAOS_SECRETS.XAI_API_KEY,
    managementKey: CHAOS_SECRETS.XAI_MANAGEMENT_KEY,
    logBodies,
  });
  const google = await startGoogleCalendarFake({
    publicKeyPem: googleCredentials.publicKeyPem,
    serviceAccountEmail: googleCredentials.serviceAccountEmail,
    logBodies,
  });
  return {
    espocrm,
    advoware,
    xai,
    google,
    googleCredentials,
    close: async () => {
      await Promise.all([espocrm.close(), advoware.close(), xai.close(), google.close()]);
    },
  };
}

/**
 * The hub's environment for a scenario: the fakes' URLs, a private Redis, every
 * secret set, debug logging, short upstream timeouts (a fault that never answers
 * costs 1 s, not 30), a 3 s lock TTL (a killed holder's locks expire quickly) and
 * crons that do not fire on their own unless a scenario says so.
 */
export function chaosEnv(
  stack: ChaosStack,
  redis: { port: number; password?: string },
  overrides: Record<string, string> = {},
): Record<string, string | undefined> {
  const { PROXY_API_KEYS, ...secrets } = CHAOS_SECRETS;
  return testEnv(
    {
      espocrm: stack.espocrm.apiUrl,
      advoware: stack.advoware.url,
      advowareAuth: `${stack.advoware.url}/api/v1/Token`,
      xai: stack.xai.url,
      xaiManagement: stack.xai.url,
    },
    {
      ...secrets,
      PROXY_API_KEYS,
      ...googleEnv(stack.googleCredentials, stack.google.url),
      CALENDAR_SYNC_ENABLED: 'false',
      CALENDAR_SYNC_CRON: '0 0 3 1 1 *',
      VMH_BETEILIGTE_SYNC_CRON: '0 0 3 1 1 *',
      ESPOCRM_WEBHOOK_SECRETS: `${WEBHOOK_ID}:${WEBHOOK_SECRET}`,
      REDIS_PORT: String(redis.port),
      REDIS_PASSWORD: redis.password,
      QUEUE_PREFIX: `chaos${randomUUID().slice(0, 6)}`,
      LOG_LEVEL: 'debug',
      LOG_FORMAT: 'json',
      LOCK_TTL_MS: '3000',
      JOB_BACKOFF_BASE_MS: '100',
      JOB_BACKOFF_MAX_MS: '2000',
      WEBHOOK_DEBOUNCE_MS: '0',
      SHUTDOWN_DRAIN_TIMEOUT_SECONDS: '5',
      ESPOCRM_API_TIMEOUT_SECONDS: '2',
      ADVOWARE_API_TIMEOUT_SECONDS: '2',
      XAI_TIMEOUT_SECONDS: '2',
      GOOGLE_API_TIMEOUT_SECONDS: '2',
      GOOGLE_RETRY_BASE_MS: '100',
      PROXY_TIMEOUT_SECONDS: '2',
      ...overrides,
    },
  );
}

/** POSTs a body the way EspoCRM does: raw JSON bytes with their `Signature`. */
export function postSigned(url: string, body: unknown | Buffer): Promise<Response> {
  const raw = Buffer.isBuffer(body) ? body : Buffer.from(JSON.stringify(body));
  return fetch(url, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      Signature: signEspoWebhook(WEBHOOK_ID, WEBHOOK_SECRET, raw),
    },
    body: raw,
    // A webhook that never gets an answer is a failure the figures must show, not a hang.
    signal: AbortSignal.timeout(15_000),
  });
}

/**
 * What must never appear in a log: every configured secret, the Advoware key's
 * decoded bytes, each line of the Google private key (a partial key is a leak too),
 * and every access token the fakes issued or were shown (Google's and Advoware's
 * OAuth tokens; a hub that logs a token leaks a credential). Call it after the run,
 * so the tokens issued during it are known.
 */
export function secretNeedles(stack: ChaosStack): Array<{ name: string; value: string }> {
  const needles = Object.entries(CHAOS_SECRETS).map(([name, value]) => ({ name, value }));
  needles.push({ name: 'ADVOWARE_API_KEY (decoded)', value: ADVOWARE_KEY_BYTES });
  needles.push({ name: 'ESPOCRM_WEBHOOK_SECRETS', value: WEBHOOK_SECRET });
  stack.googleCredentials.privateKeyPem
    .split('\n')
    .filter((line) => line.length >= 40 && !line.startsWith('-----'))
    .forEach((line, i) =>
      needles.push({ name: `GOOGLE_SERVICE_ACCOUNT_PRIVATE_KEY line ${i + 1}`, value: line }),
    );
  for (const fake of [stack.google, stack.advoware, stack.espocrm, stack.xai]) {
    for (const value of fake.issuedTokens()) {
      // The configured keys are needles already; what is left are tokens the fakes issued.
      if (needles.some((n) => n.value === value)) continue;
      needles.push({ name: `${fake.name} access token`, value });
    }
  }
  return needles;
}

/**
 * The needles of a scenario that runs on `testEnv` (6, 7): the test secrets, the
 * Advoware key's decoded bytes, the private Redis' password and what the scenario adds.
 */
export function testSecretNeedles(
  extra: Array<{ name: string; value: string }> = [],
): Array<{ name: string; value: string }> {
  const needles = Object.entries(TEST_SECRETS).flatMap(([name, value]) =>
    value.split(',').map((v) => ({ name, value: v })),
  );
  needles.push({
    name: 'ADVOWARE_API_KEY (decoded)',
    value: Buffer.from(TEST_SECRETS.ADVOWARE_API_KEY, 'base64').toString('utf8'),
  });
  needles.push({ name: 'REDIS_PASSWORD', value: CHAOS_SECRETS.REDIS_PASSWORD });
  return [...needles, ...extra];
}
