import type { calendar_v3 } from 'googleapis';
// Only the Calendar API: the package's entry point loads every Google API, ~50 MB of
// heap and ~100 MB of RSS that the hub carries from boot on (measured by `npm run bench`).
import {
  auth as googleAuth,
  calendar as googleCalendar,
} from 'googleapis/build/src/apis/calendar/index.js';
import type { AppConfig } from '../../config/app-config.js';
import { PermanentUpstreamError, ValidationError } from '../../core/errors/upstream.errors.js';
import { shadowGaxiosInterceptor } from '../../core/shadow/shadow-http.js';

const CALENDAR_SCOPE = 'https://www.googleapis.com/auth/calendar';
/** gtoken posts the assertion here and nowhere else (it is a constant in gtoken 8). */
const GOOGLE_TOKEN_ENDPOINT = 'https://oauth2.googleapis.com/token';

type JwtClient = InstanceType<typeof googleAuth.JWT>;

/** Where token requests may show up in an error's config: Google's constant and the configured URL. */
export function googleTokenUrls(config: AppConfig): string[] {
  return [GOOGLE_TOKEN_ENDPOINT, new URL(config.google.tokenUrl).href];
}

/**
 * The Calendar API client of one employee: the service account impersonating
 * `subject` (domain-wide delegation); gaxios' own retry off (the caller retries).
 */
export function calendarApiFor(
  config: AppConfig,
  subject: string,
  tokenUrls: string[],
): calendar_v3.Calendar {
  return googleCalendar({
    version: 'v3',
    auth: jwtFor(config, subject, tokenUrls),
    rootUrl: config.google.apiRootUrl,
    retry: false,
    timeout: config.google.timeoutMs,
  });
}

function jwtFor(config: AppConfig, subject: string, tokenUrls: string[]): JwtClient {
  const { serviceAccountEmail, privateKey, tokenUrl, timeoutMs } = config.google;
  if (!serviceAccountEmail || !privateKey) {
    throw new PermanentUpstreamError('google', 'Google service account is not configured', {
      reason: 'GOOGLE_SERVICE_ACCOUNT_EMAIL / GOOGLE_SERVICE_ACCOUNT_PRIVATE_KEY missing',
    });
  }
  const jwt = new googleAuth.JWT({
    email: serviceAccountEmail,
    key: privateKey,
    scopes: [CALENDAR_SCOPE],
    subject,
    transporterOptions: { timeout: timeoutMs },
  });
  // google-auth-library has no option for the token URL: gtoken posts to a
  // constant. Its requests do go through the client's public `transporter`, so an
  // interceptor redirects them to GOOGLE_TOKEN_URL (the fake in tests). The JWT's
  // `aud` claim stays Google's token URL, which is what Google checks.
  // The same interceptor turns gaxios' retries off for every request of this client
  // (gtoken asks for retries of the token POST): our withRetry is the only retry.
  const redirectToken = tokenUrl !== GOOGLE_TOKEN_ENDPOINT;
  jwt.transporter.interceptors.request.add({
    resolved: async (opts) => {
      if (redirectToken && String(opts.url) === GOOGLE_TOKEN_ENDPOINT) opts.url = new URL(tokenUrl);
      opts.retry = false;
      delete opts.retryConfig;
      return opts;
    },
  });
  // Shadow mode (src/core/shadow): inside a shadow job every Calendar write is
  // recorded and answered there, never sent; reads and the token exchange pass.
  jwt.transporter.interceptors.request.add(shadowGaxiosInterceptor(tokenUrls));
  return jwt;
}

/** The impersonated user is an employee's email address; anything else never reaches Google. */
export function assertSubject(subject: string): void {
  if (typeof subject !== 'string' || !/^[^@\s]+@[^@\s]+$/.test(subject)) {
    throw new ValidationError(
      `Google subject must be the employee's email address, got ${String(subject)}`,
    );
  }
}
