import { AppConfig } from '../../src/config/app-config.js';
import { advowareDemoData } from './advoware/demo-data.js';
import { startAdvowareFake, type AdvowareFake } from './advoware/advoware.fake.js';
import { espocrmDemoData } from './espocrm/demo-data.js';
import { startEspoCrmFake, type EspoCrmFake } from './espocrm/espocrm.fake.js';
import {
  startGoogleCalendarFake,
  type GoogleCalendarFake,
} from './google-calendar/google-calendar.fake.js';
import { makeGoogleTestCredentials } from './google-calendar/google-credentials.js';
import { startXaiFake, type XaiFake } from './xai/xai.fake.js';

export interface FakeStack {
  espocrm: EspoCrmFake;
  advoware: AdvowareFake;
  xai: XaiFake;
  google: GoogleCalendarFake;
  /** Env overrides the hub needs on top of the config the fakes were built from. */
  env: Record<string, string>;
  close(): Promise<void>;
}

function portOf(url: string): number {
  const u = new URL(url);
  return Number(u.port || (u.protocol === 'https:' ? 443 : 80));
}

/**
 * The four fakes, listening where a config's URLs point and accepting its
 * credentials: the sandbox starts them from `.env.example`, the benchmark from its
 * own config. Google gets a throwaway service-account key made on the spot.
 */
export async function startFakeStack(
  config: AppConfig,
  options: { demo?: boolean; latencyMs?: number; logBodies?: boolean } = {},
): Promise<FakeStack> {
  const latencyMs = options.latencyMs ?? 0;
  const logBodies = options.logBodies ?? true;
  const espocrm = await startEspoCrmFake({
    port: portOf(config.espocrm.baseUrl),
    apiKey: config.espocrm.apiKey,
    latencyMs,
    logBodies,
  });
  const advoware = await startAdvowareFake({
    port: portOf(config.advoware.baseUrl),
    latencyMs,
    logBodies,
    credentials: {
      apiKey: config.advoware.apiKey,
      appId: config.advoware.appId,
      kanzlei: config.advoware.kanzlei,
      database: config.advoware.database,
      user: config.advoware.user,
      password: config.advoware.password,
      role: config.advoware.role,
      product: config.advoware.product,
    },
  });
  const xai = await startXaiFake({
    port: portOf(config.xai.apiBaseUrl),
    apiKey: config.xai.apiKey,
    managementKey: config.xai.managementKey,
    latencyMs,
    logBodies,
  });
  const credentials = makeGoogleTestCredentials(config.google.serviceAccountEmail);
  const google = await startGoogleCalendarFake({
    port: portOf(config.google.apiRootUrl),
    publicKeyPem: credentials.publicKeyPem,
    serviceAccountEmail: credentials.serviceAccountEmail,
    latencyMs,
    logBodies,
  });
  if (options.demo) {
    espocrm.seed(espocrmDemoData());
    advoware.seed(advowareDemoData());
  }
  return {
    espocrm,
    advoware,
    xai,
    google,
    env: { GOOGLE_SERVICE_ACCOUNT_PRIVATE_KEY: credentials.privateKeyPem.replace(/\n/g, '\\n') },
    close: async () => {
      await Promise.all([espocrm.close(), advoware.close(), xai.close(), google.close()]);
    },
  };
}
