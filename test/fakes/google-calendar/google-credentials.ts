import { generateKeyPairSync } from 'node:crypto';

/**
 * A throwaway service account for tests and the sandbox: an RSA key pair made on the
 * spot (never a real Google key), the fake gets the public half, the hub the private.
 */
export const TEST_SERVICE_ACCOUNT_EMAIL =
  'bitbylaw-hub-calendar@bitbylaw-hub-test.iam.gserviceaccount.com';

export interface GoogleTestCredentials {
  serviceAccountEmail: string;
  privateKeyPem: string;
  publicKeyPem: string;
}

export function makeGoogleTestCredentials(
  serviceAccountEmail = TEST_SERVICE_ACCOUNT_EMAIL,
): GoogleTestCredentials {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  return { serviceAccountEmail, privateKeyPem: privateKey, publicKeyPem: publicKey };
}

/**
 * Env overrides that point the hub at a Google Calendar fake (`fakeUrl` without a
 * trailing slash) and turn calendar sync on. The private key is stored with `\n`
 * escapes, the convention AppConfig undoes.
 */
export function googleEnv(
  credentials: GoogleTestCredentials,
  fakeUrl: string,
): Record<string, string> {
  const base = fakeUrl.replace(/\/+$/, '');
  return {
    GOOGLE_SERVICE_ACCOUNT_EMAIL: credentials.serviceAccountEmail,
    GOOGLE_SERVICE_ACCOUNT_PRIVATE_KEY: credentials.privateKeyPem.replace(/\n/g, '\\n'),
    GOOGLE_API_ROOT_URL: `${base}/`,
    GOOGLE_TOKEN_URL: `${base}/token`,
    CALENDAR_SYNC_ENABLED: 'true',
  };
}
