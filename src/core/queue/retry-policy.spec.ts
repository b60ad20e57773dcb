import {
  PermanentUpstreamError,
  TransientUpstreamError,
  ValidationError,
  parseRetryAfter,
  upstreamErrorForStatus,
} from '../errors/upstream.errors.js';
import { QueueUnavailableError } from './job-producer.service.js';
import { backoffDelay, classifyError } from './retry-policy.js';

describe('classifyError', () => {
  it.each([
    [500, 'transient'],
    [502, 'transient'],
    [503, 'transient'],
    [429, 'transient'],
    [408, 'transient'],
    [400, 'permanent'],
    [401, 'permanent'],
    [403, 'permanent'],
    [404, 'permanent'],
    [409, 'permanent'],
    [422, 'permanent'],
  ])('classifies HTTP %i as %s', (status, expected) => {
    expect(classifyError(upstreamErrorForStatus('espocrm', status, {}))).toBe(expected);
  });

  it('treats network errors as transient', () => {
    expect(classifyError(Object.assign(new Error('reset'), { code: 'ECONNRESET' }))).toBe(
      'transient',
    );
  });

  it.each([
    "Stream isn't writeable and enableOfflineQueue options is false",
    'Connection is closed.',
    'Reached the max retries per request limit (which is 1). Refer to "maxRetriesPerRequest" option for details.',
    'LOADING Redis is loading the dataset in memory',
  ])('treats the hub losing its Redis as transient: %s', (message) => {
    expect(classifyError(new Error(message))).toBe('transient');
  });

  it('retries a job whose follow-up enqueue found the queue unavailable', () => {
    expect(classifyError(new QueueUnavailableError('redis is reconnecting'))).toBe('transient');
  });

  it('treats a Redis refusal that no retry fixes as permanent', () => {
    expect(classifyError(new Error('NOAUTH Authentication required.'))).toBe('permanent');
    expect(classifyError(new Error('WRONGPASS invalid username-password pair'))).toBe('permanent');
  });

  it('treats validation errors and unknown bugs as permanent', () => {
    expect(classifyError(new ValidationError('bad IBAN'))).toBe('permanent');
    expect(classifyError(new TypeError('x is undefined'))).toBe('permanent');
    expect(classifyError(new PermanentUpstreamError('xai', 'nope'))).toBe('permanent');
  });
});

describe('backoffDelay', () => {
  const settings = { baseMs: 1000, maxMs: 10_000 };

  it('grows exponentially within jitter bounds and is capped', () => {
    expect(backoffDelay(1, undefined, settings, () => 0)).toBe(500);
    expect(backoffDelay(1, undefined, settings, () => 1)).toBe(1000);
    expect(backoffDelay(3, undefined, settings, () => 1)).toBe(4000);
    expect(backoffDelay(10, undefined, settings, () => 1)).toBe(10_000);
  });

  it('honours Retry-After from the upstream', () => {
    const err = new TransientUpstreamError('xai', 'slow down', { status: 429, retryAfterMs: 7000 });
    expect(backoffDelay(1, err, settings)).toBe(7000);
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and dates, caps at 60 s', () => {
    expect(parseRetryAfter('3')).toBe(3000);
    expect(parseRetryAfter('3600')).toBe(60_000);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 60_000, 0)).toBe(10_000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });
});
