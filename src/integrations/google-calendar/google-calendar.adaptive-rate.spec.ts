import {
  type AdaptiveSettings,
  type AdaptiveState,
  type Refusal,
  bucketOf,
  initialState,
  onAccepted,
  onRefused,
} from './google-calendar.adaptive-rate.js';

const S: AdaptiveSettings = { maxPerWindow: 500, windowMs: 60_000, fallbackPauseMs: 1_000 };

function state(over: Partial<AdaptiveState> = {}): AdaptiveState {
  return { ...initialState(S, 0), ...over };
}

describe('onRefused', () => {
  const cases: Array<{
    name: string;
    before: Partial<AdaptiveState>;
    refusal: Partial<Refusal>;
    outcome: string;
    perWindow: number;
    pausedUntil: number;
  }> = [
    {
      name: 'first refusal at the configured rate: halves what got through, waits until the oldest leaves the window',
      before: {},
      refusal: { now: 1_000, sentAt: 990, acceptedInWindow: 25, oldestAcceptedAt: 100 },
      outcome: 'cut',
      perWindow: 12.5,
      pausedUntil: 60_100,
    },
    {
      name: 'refusal while sending below the configured rate: halves the current rate',
      before: { perWindow: 20 },
      refusal: { now: 50_000, sentAt: 49_990, acceptedInWindow: 40, oldestAcceptedAt: 45_000 },
      outcome: 'cut',
      perWindow: 10,
      pausedUntil: 105_000,
    },
    {
      name: 'a request sent before the last cut: same overload, no second cut',
      before: { perWindow: 12.5, cutAt: 1_000, pausedUntil: 60_100 },
      refusal: { now: 1_005, sentAt: 995, acceptedInWindow: 25, oldestAcceptedAt: 100 },
      outcome: 'same-episode',
      perWindow: 12.5,
      pausedUntil: 60_100,
    },
    {
      name: 'a request sent after the cut is refused again: cut again',
      before: { perWindow: 12.5, cutAt: 1_000, pausedUntil: 60_100 },
      refusal: { now: 60_200, sentAt: 60_150, acceptedInWindow: 1, oldestAcceptedAt: 30_000 },
      outcome: 'cut',
      perWindow: 1,
      pausedUntil: 90_000,
    },
    {
      name: 'nothing accepted in the window: the fallback pause, the configured rate halved',
      before: {},
      refusal: { now: 5_000, sentAt: 4_990, acceptedInWindow: 0 },
      outcome: 'cut',
      perWindow: 250,
      pausedUntil: 6_000,
    },
    {
      name: 'Retry-After given: paused exactly that long, rate kept',
      before: { perWindow: 40 },
      refusal: { now: 5_000, sentAt: 4_990, acceptedInWindow: 30, retryAfterMs: 2_000 },
      outcome: 'retry-after',
      perWindow: 40,
      pausedUntil: 7_000,
    },
    {
      name: 'Retry-After shorter than a pause already running: the longer pause stands',
      before: { perWindow: 40, pausedUntil: 9_000 },
      refusal: { now: 5_000, sentAt: 4_990, acceptedInWindow: 30, retryAfterMs: 2_000 },
      outcome: 'retry-after',
      perWindow: 40,
      pausedUntil: 9_000,
    },
    {
      name: 'never below one request per window',
      before: { perWindow: 1.5 },
      refusal: { now: 5_000, sentAt: 4_990, acceptedInWindow: 1, oldestAcceptedAt: 4_000 },
      outcome: 'cut',
      perWindow: 1,
      pausedUntil: 64_000,
    },
    {
      name: 'the oldest accepted already left the window: no pause beyond now',
      before: {},
      refusal: { now: 70_000, sentAt: 69_990, acceptedInWindow: 5, oldestAcceptedAt: 9_000 },
      outcome: 'cut',
      perWindow: 2.5,
      pausedUntil: 70_000,
    },
  ];

  it.each(cases)('$name', ({ before, refusal, outcome, perWindow, pausedUntil }) => {
    const r: Refusal = { now: 0, sentAt: 0, acceptedInWindow: 0, ...refusal };
    const out = onRefused(state(before), r, S);
    expect(out.outcome).toBe(outcome);
    expect(out.state.perWindow).toBeCloseTo(perWindow);
    expect(out.state.pausedUntil).toBe(pausedUntil);
    if (outcome === 'cut') {
      expect(out.state.cutAt).toBe(r.now);
      expect(out.state.raiseStep).toBeCloseTo(Math.max(1, perWindow / 10));
    }
  });
});

describe('onAccepted', () => {
  const cases: Array<{
    name: string;
    before: Partial<AdaptiveState>;
    now: number;
    perWindow: number;
  }> = [
    { name: 'at the ceiling: stays', before: {}, now: 500_000, perWindow: 500 },
    {
      name: 'inside the first quiet window: no raise yet',
      before: { perWindow: 12.5, raiseStep: 1.25, quietSince: 1_000 },
      now: 60_999,
      perWindow: 12.5,
    },
    {
      name: 'one quiet window: one step',
      before: { perWindow: 12.5, raiseStep: 1.25, quietSince: 1_000 },
      now: 61_000,
      perWindow: 13.75,
    },
    {
      name: 'three quiet windows (idle in between): three steps',
      before: { perWindow: 12.5, raiseStep: 1.25, quietSince: 1_000 },
      now: 181_000,
      perWindow: 16.25,
    },
    {
      name: 'never above the configured rate',
      before: { perWindow: 499, raiseStep: 10, quietSince: 0 },
      now: 60_000,
      perWindow: 500,
    },
  ];

  it.each(cases)('$name', ({ before, now, perWindow }) => {
    const out = onAccepted(state(before), now, S);
    expect(out.perWindow).toBeCloseTo(perWindow);
    if (out.perWindow !== (before.perWindow ?? 500)) expect(out.quietSince).toBe(now);
  });

  it('recovers slowly: ten quiet windows after a cut to 12.5 are still below 25', () => {
    let s = onRefused(
      state(),
      { now: 0, sentAt: 0, acceptedInWindow: 25, oldestAcceptedAt: 0 },
      S,
    ).state;
    for (let w = 1; w <= 9; w++) s = onAccepted(s, w * 60_000, S);
    expect(s.perWindow).toBeLessThan(25);
    expect(s.perWindow).toBeGreaterThan(12.5);
  });
});

describe('bucketOf', () => {
  it.each([
    [1, 1, 1 / 60_000],
    [25, 2, 24 / 60_000],
    [500, 50, 451 / 60_000],
  ])('%p per window: burst %p', (perWindow, capacity, refill) => {
    const b = bucketOf(perWindow, 60_000);
    expect(b.capacity).toBe(capacity);
    expect(b.refillPerMs).toBeCloseTo(refill, 12);
  });
});
