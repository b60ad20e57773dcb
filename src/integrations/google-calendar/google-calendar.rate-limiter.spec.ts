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
    const { delayMs } = limiter.reserve(subject);
    sentAt.push(clock.t + delayMs);
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
    const limiter = new SubjectRateLimiter({ perMinute: 600, now: () => clock.t });
    const delays = Array.from({ length: 60 }, () => limiter.reserve('anna@kanzlei.de').delayMs);
    expect(delays.every((d) => d === 0)).toBe(true);
    expect(limiter.reserve('anna@kanzlei.de').delayMs).toBeGreaterThan(0);
  });

  it.each([1, 2, 7, 60, 500, 600])(
    'never lets more than %i requests into one minute for one user',
    (perMinute) => {
      const clock = { t: 0 };
      const limiter = new SubjectRateLimiter({ perMinute: perMinute, now: () => clock.t });
      const sentAt = drive(limiter, clock, 'anna@kanzlei.de', perMinute * 3 + 5);
      expect(maxInAnyMinute(sentAt)).toBeLessThanOrEqual(perMinute);
      // and it does not throttle far below the limit either
      const lastMinute = sentAt.filter((t) => t > sentAt[sentAt.length - 1] - 60_000).length;
      expect(lastMinute).toBeGreaterThanOrEqual(Math.floor(perMinute * 0.85));
    },
  );

  it('keeps the limit when requests arrive spread over time', () => {
    const clock = { t: 0 };
    const limiter = new SubjectRateLimiter({ perMinute: 120, now: () => clock.t });
    const sentAt: number[] = [];
    for (let i = 0; i < 1000; i++) {
      clock.t += 137; // faster than 120/min
      sentAt.push(clock.t + limiter.reserve('bert@kanzlei.de').delayMs);
    }
    expect(maxInAnyMinute(sentAt)).toBeLessThanOrEqual(120);
  });

  it('gives every user a budget of their own', () => {
    const clock = { t: 0 };
    const limiter = new SubjectRateLimiter({ perMinute: 10, now: () => clock.t });
    expect(limiter.reserve('anna@kanzlei.de').delayMs).toBe(0);
    expect(limiter.reserve('anna@kanzlei.de').delayMs).toBeGreaterThan(0);
    expect(limiter.reserve('bert@kanzlei.de').delayMs).toBe(0);
  });

  it('refills over time so an idle user can burst again', () => {
    const clock = { t: 0 };
    const limiter = new SubjectRateLimiter({ perMinute: 60, now: () => clock.t });
    drive(limiter, clock, 'anna@kanzlei.de', 6);
    expect(limiter.reserve('anna@kanzlei.de').delayMs).toBeGreaterThan(0);
    clock.t += 60_000;
    expect(limiter.reserve('anna@kanzlei.de').delayMs).toBe(0);
  });

  it('queues waiting callers one after another, not all at the same moment', () => {
    const clock = { t: 0 };
    const limiter = new SubjectRateLimiter({ perMinute: 60, now: () => clock.t });
    const delays = Array.from({ length: 10 }, () => limiter.reserve('anna@kanzlei.de').delayMs);
    const waiting = delays.filter((d) => d > 0);
    expect(waiting).toHaveLength(4);
    for (let i = 1; i < waiting.length; i++) expect(waiting[i]).toBeGreaterThan(waiting[i - 1]);
  });

  it('forgets idle users once many are tracked', () => {
    const clock = { t: 0 };
    const limiter = new SubjectRateLimiter({ perMinute: 600, now: () => clock.t });
    for (let i = 0; i < 1000; i++) limiter.reserve(`user${i}@kanzlei.de`);
    clock.t += 60_000;
    limiter.reserve('late@kanzlei.de');
    expect(limiter.size).toBeLessThan(10);
  });

  it('after a quota refusal: pauses the user until the window has room, then sends at half of what got through', () => {
    const clock = { t: 0 };
    const limiter = new SubjectRateLimiter({ perMinute: 600, now: () => clock.t });
    // Google took 25 requests in the first second, then refused
    for (let i = 0; i < 25; i++) {
      limiter.reserve('anna@kanzlei.de');
      clock.t += 40;
      limiter.accepted('anna@kanzlei.de');
    }
    const waiting = limiter.reserve('anna@kanzlei.de');
    expect(limiter.refused('anna@kanzlei.de', clock.t - 5)).toBe('cut');
    expect(limiter.perMinute('anna@kanzlei.de')).toBeCloseTo(12.5);
    // a reservation made before the cut is void: its holder must queue again
    expect(limiter.reserve('anna@kanzlei.de').generation).not.toBe(waiting.generation);
    // refusals of requests already in flight do not cut again
    expect(limiter.refused('anna@kanzlei.de', clock.t - 1)).toBe('same-episode');
    expect(limiter.perMinute('anna@kanzlei.de')).toBeCloseTo(12.5);

    const sentAt = drive(limiter, clock, 'anna@kanzlei.de', 30);
    // nothing before the first accepted request has left Google's minute
    expect(Math.min(...sentAt)).toBeGreaterThanOrEqual(40 + 60_000);
    expect(maxInAnyMinute(sentAt)).toBeLessThanOrEqual(13);
    // other users keep the configured rate
    expect(limiter.reserve('bert@kanzlei.de').delayMs).toBe(0);
    expect(limiter.perMinute('bert@kanzlei.de')).toBe(600);
  });

  it('honours Retry-After for every waiting request of the user without cutting the rate', () => {
    const clock = { t: 0 };
    const limiter = new SubjectRateLimiter({ perMinute: 600, now: () => clock.t });
    limiter.reserve('anna@kanzlei.de');
    expect(limiter.refused('anna@kanzlei.de', 0, 3_000)).toBe('retry-after');
    expect(limiter.reserve('anna@kanzlei.de').delayMs).toBeGreaterThanOrEqual(3_000);
    expect(limiter.perMinute('anna@kanzlei.de')).toBe(600);
  });

  it('waits in acquire and comes back with the send time; a pause sends waiters back to the queue', async () => {
    const limiter = new SubjectRateLimiter({ perMinute: 60, windowMs: 1_000 });
    // 60/min over a 1 s window is one per window: the second waits ~1 s
    const first = await limiter.acquire('anna@kanzlei.de');
    limiter.accepted('anna@kanzlei.de');
    const second = limiter.acquire('anna@kanzlei.de');
    limiter.refused('anna@kanzlei.de', Date.now(), 300);
    const at = await second;
    expect(at - first).toBeGreaterThanOrEqual(290);
  });

  it('refuses a limit below one request per minute', () => {
    expect(() => new SubjectRateLimiter({ perMinute: 0 })).toThrow(RangeError);
  });
});
