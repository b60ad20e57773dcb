import { SubjectRateLimiter } from './google-calendar.rate-limiter.js';

/** Sends as fast as the limiter allows and records when each request actually goes out. */
function drive(
  limiter: SubjectRateLimiter,
  clock: { t: number },
  subject: string,
  count: number,
): number[] {
  const sentAt: number[] = [];
  for (let i = 0; i < count; i++) {
    const delay = limiter.reserve(subject);
    sentAt.push(clock.t + delay);
  }
  return sentAt;
}

function maxInAnyMinute(times: number[]): number {
  const sorted = [...times].sort((a, b) => a - b);
  let max = 0;
  let start = 0;
  for (let end = 0; end < sorted.length; end++) {
    while (sorted[end] - sorted[start] >= 60_000) start++;
    max = Math.max(max, end - start + 1);
  }
  return max;
}

describe('SubjectRateLimiter', () => {
  it('lets a small burst through without waiting', () => {
    const clock = { t: 1_000_000 };
    const limiter = new SubjectRateLimiter(600, () => clock.t);
    const delays = Array.from({ length: 60 }, () => limiter.reserve('anna@kanzlei.de'));
    expect(delays.every((d) => d === 0)).toBe(true);
    expect(limiter.reserve('anna@kanzlei.de')).toBeGreaterThan(0);
  });

  it.each([1, 2, 7, 60, 500, 600])(
    'never lets more than %i requests into one minute for one user',
    (perMinute) => {
      const clock = { t: 0 };
      const limiter = new SubjectRateLimiter(perMinute, () => clock.t);
      const sentAt = drive(limiter, clock, 'anna@kanzlei.de', perMinute * 3 + 5);
      expect(maxInAnyMinute(sentAt)).toBeLessThanOrEqual(perMinute);
      // and it does not throttle far below the limit either
      const lastMinute = sentAt.filter((t) => t > sentAt[sentAt.length - 1] - 60_000).length;
      expect(lastMinute).toBeGreaterThanOrEqual(Math.floor(perMinute * 0.85));
    },
  );

  it('keeps the limit when requests arrive spread over time', () => {
    const clock = { t: 0 };
    const limiter = new SubjectRateLimiter(120, () => clock.t);
    const sentAt: number[] = [];
    for (let i = 0; i < 1000; i++) {
      clock.t += 137; // faster than 120/min
      sentAt.push(clock.t + limiter.reserve('bert@kanzlei.de'));
    }
    expect(maxInAnyMinute(sentAt)).toBeLessThanOrEqual(120);
  });

  it('gives every user a budget of their own', () => {
    const clock = { t: 0 };
    const limiter = new SubjectRateLimiter(10, () => clock.t);
    expect(limiter.reserve('anna@kanzlei.de')).toBe(0);
    expect(limiter.reserve('anna@kanzlei.de')).toBeGreaterThan(0);
    expect(limiter.reserve('bert@kanzlei.de')).toBe(0);
  });

  it('refills over time so an idle user can burst again', () => {
    const clock = { t: 0 };
    const limiter = new SubjectRateLimiter(60, () => clock.t);
    drive(limiter, clock, 'anna@kanzlei.de', 6);
    expect(limiter.reserve('anna@kanzlei.de')).toBeGreaterThan(0);
    clock.t += 60_000;
    expect(limiter.reserve('anna@kanzlei.de')).toBe(0);
  });

  it('queues waiting callers one after another, not all at the same moment', () => {
    const clock = { t: 0 };
    const limiter = new SubjectRateLimiter(60, () => clock.t);
    const delays = Array.from({ length: 10 }, () => limiter.reserve('anna@kanzlei.de'));
    const waiting = delays.filter((d) => d > 0);
    expect(waiting).toHaveLength(4);
    for (let i = 1; i < waiting.length; i++) expect(waiting[i]).toBeGreaterThan(waiting[i - 1]);
  });

  it('forgets idle users once many are tracked', () => {
    const clock = { t: 0 };
    const limiter = new SubjectRateLimiter(600, () => clock.t);
    for (let i = 0; i < 1000; i++) limiter.reserve(`user${i}@kanzlei.de`);
    clock.t += 60_000;
    limiter.reserve('late@kanzlei.de');
    expect(limiter.size).toBeLessThan(10);
  });

  it('refuses a limit below one request per minute', () => {
    expect(() => new SubjectRateLimiter(0)).toThrow(RangeError);
  });
});
