import {
  PermanentUpstreamError,
  TransientUpstreamError,
  UpstreamConflictError,
  UpstreamForbiddenError,
  UpstreamNotFoundError,
  UpstreamUnauthorizedError,
} from '../../core/errors/upstream.errors.js';
import { classifyError } from '../../core/queue/retry-policy.js';
import { toGoogleUpstreamError } from './google-calendar.errors.js';
import { EventChangedError, GoogleTokenError } from './google-calendar.types.js';

const API_URL = 'http://127.0.0.1:4000/calendar/v3/calendars/primary/events';
const TOKEN_URL = 'http://127.0.0.1:4000/token';
const ctx = {
  op: 'events.list',
  tokenUrls: ['https://oauth2.googleapis.com/token', TOKEN_URL],
  retryAfterCapMs: 16_000,
};

/** What gaxios throws for an HTTP answer: an Error with config and response. */
function answered(
  status: number,
  data: unknown,
  options: { url?: string; headers?: Record<string, string> } = {},
) {
  return Object.assign(new Error(`Request failed with status code ${status}`), {
    status,
    config: { url: new URL(options.url ?? API_URL), method: 'GET' },
    response: { status, data, headers: new Headers(options.headers ?? {}) },
  });
}

function googleBody(status: number, reason: string, message = reason) {
  return { error: { code: status, message, errors: [{ domain: 'global', reason, message }] } };
}

describe('toGoogleUpstreamError', () => {
  it.each(['rateLimitExceeded', 'userRateLimitExceeded', 'quotaExceeded'])(
    'treats 403 %s as a transient rate limit',
    (reason) => {
      const err = toGoogleUpstreamError(answered(403, googleBody(403, reason)), ctx);

      expect(err).toBeInstanceOf(TransientUpstreamError);
      expect(err).toMatchObject({ status: 403, reason });
      expect(classifyError(err)).toBe('transient');
    },
  );

  it.each([
    ['forbidden', 'forbidden'],
    ['requiredAccessLevel', 'requiredAccessLevel'],
    ['dailyLimitExceeded', 'dailyLimitExceeded'],
  ])('treats any other 403 (%s) as permanent', (_name, reason) => {
    const err = toGoogleUpstreamError(answered(403, googleBody(403, reason)), ctx);

    expect(err).toBeInstanceOf(UpstreamForbiddenError);
    expect(classifyError(err)).toBe('permanent');
  });

  it('treats 429 as transient and keeps its Retry-After, capped', () => {
    const soon = toGoogleUpstreamError(
      answered(429, googleBody(429, 'rateLimitExceeded'), { headers: { 'Retry-After': '3' } }),
      ctx,
    );
    const late = toGoogleUpstreamError(
      answered(429, googleBody(429, 'rateLimitExceeded'), { headers: { 'Retry-After': '3600' } }),
      ctx,
    );

    expect(soon).toBeInstanceOf(TransientUpstreamError);
    expect((soon as TransientUpstreamError).retryAfterMs).toBe(3000);
    expect((late as TransientUpstreamError).retryAfterMs).toBe(16_000);
  });

  it.each([
    [404, 'notFound', UpstreamNotFoundError],
    [409, 'duplicate', UpstreamConflictError],
    [410, 'fullSyncRequired', UpstreamNotFoundError],
    [401, 'authError', UpstreamUnauthorizedError],
    [400, 'invalid', PermanentUpstreamError],
    [500, 'backendError', TransientUpstreamError],
    [503, 'backendError', TransientUpstreamError],
  ])('maps %i %s to %p with the reason kept', (status, reason, cls) => {
    const err = toGoogleUpstreamError(
      answered(status, googleBody(status, reason, 'Human message')),
      ctx,
    );

    expect(err).toBeInstanceOf(cls);
    expect(err).toMatchObject({ status, reason, system: 'google' });
    expect((err as Error).message).toContain('Human message');
  });

  it('maps 412 to EventChangedError', () => {
    const err = toGoogleUpstreamError(answered(412, googleBody(412, 'conditionNotMet')), ctx);

    expect(err).toBeInstanceOf(EventChangedError);
    expect(classifyError(err)).toBe('permanent');
  });

  it('maps a token endpoint refusal to GoogleTokenError with the OAuth error as reason', () => {
    const body = { error: 'unauthorized_client', error_description: 'Client is unauthorized' };
    const err = toGoogleUpstreamError(answered(401, body, { url: TOKEN_URL }), ctx);

    expect(err).toBeInstanceOf(GoogleTokenError);
    expect(err).toBeInstanceOf(UpstreamUnauthorizedError);
    expect(err).toMatchObject({ reason: 'unauthorized_client' });
    expect((err as Error).message).toContain('Client is unauthorized');
  });

  it('treats a token endpoint 503 as transient', () => {
    const err = toGoogleUpstreamError(answered(503, { error: 'backend' }, { url: TOKEN_URL }), ctx);

    expect(err).toBeInstanceOf(TransientUpstreamError);
  });

  it('treats a request without an answer as transient, naming timeouts', () => {
    const base = { config: { url: new URL(API_URL), method: 'GET' } };
    const refused = toGoogleUpstreamError(
      Object.assign(new Error('connect ECONNREFUSED'), base, { code: 'ECONNREFUSED' }),
      ctx,
    );
    const aborted = toGoogleUpstreamError(
      Object.assign(new Error('The operation was aborted.'), base, {
        cause: { name: 'AbortError' },
      }),
      ctx,
    );

    expect(refused).toBeInstanceOf(TransientUpstreamError);
    expect(refused).toMatchObject({ reason: 'ECONNREFUSED', code: 'ECONNREFUSED' });
    expect(aborted).toBeInstanceOf(TransientUpstreamError);
    expect(aborted).toMatchObject({ reason: 'timeout', code: 'ETIMEDOUT' });
  });

  it('passes programming errors through unchanged, so they are not retried as upstream failures', () => {
    const bug = new Error('Missing required parameters: calendarId');

    expect(toGoogleUpstreamError(bug, ctx)).toBe(bug);
    expect(classifyError(bug)).toBe('permanent');
  });
});
