/**
 * How fast the hub may talk to Google for one impersonated user, decided from what
 * Google answers (AIMD, as TCP does it): a refusal halves the rate that actually got
 * through, a quiet quota window adds a small fixed step back, never above the
 * configured ceiling. Pure: the limiter feeds it times and counts.
 *
 * Observed (Google Calendar "Handle API errors", "Manage quotas"): the per-user quota
 * is counted per minute; exceeding it answers 403 `userRateLimitExceeded` /
 * `rateLimitExceeded` or 429, and the real limit can be far below the documented 600.
 * Assumed: the window slides or starts fresh each minute — waiting until the oldest
 * request this hub got accepted in the last window has left it is enough for either.
 */

export interface AdaptiveSettings {
  /** The configured ceiling, requests per window. */
  maxPerWindow: number;
  /** Google's quota window (a minute; tests shorten it together with the fake's). */
  windowMs: number;
  /** Pause when a refusal gives no better hint (nothing accepted in the window). */
  fallbackPauseMs: number;
}

export interface AdaptiveState {
  /** Requests per window the limiter lets through now. */
  perWindow: number;
  /** Added back per quiet window: a tenth of the rate right after the last cut. */
  raiseStep: number;
  /** When the last cut was decided; refusals of requests sent before it belong to that cut. */
  cutAt?: number;
  /** Start of the current quiet window (last cut or raise). */
  quietSince: number;
  /** No request goes out before this instant. */
  pausedUntil: number;
}

export interface Refusal {
  now: number;
  /** When the refused request was sent. */
  sentAt: number;
  /** Google's Retry-After, when it gave one. */
  retryAfterMs?: number;
  /** Requests of this user Google accepted in the last window, and the oldest one's answer time. */
  acceptedInWindow: number;
  oldestAcceptedAt?: number;
}

export type RefusalOutcome =
  /** Google said when to come back: pause that long, keep the rate. */
  | 'retry-after'
  /** Sent before the last cut: the same overload, already answered by that cut. */
  | 'same-episode'
  /** A new overload: rate cut and paused until the window has room again. */
  | 'cut';

export const DECREASE = 0.5;
export const RAISE_FRACTION = 0.1;

export function initialState(settings: AdaptiveSettings, now: number): AdaptiveState {
  return {
    perWindow: settings.maxPerWindow,
    raiseStep: Math.max(1, settings.maxPerWindow * RAISE_FRACTION),
    quietSince: now,
    pausedUntil: 0,
  };
}

export function onRefused(
  state: AdaptiveState,
  r: Refusal,
  settings: AdaptiveSettings,
): { state: AdaptiveState; outcome: RefusalOutcome } {
  if (r.retryAfterMs !== undefined) {
    // Google named the time: honour it for every request of the user, no guessing.
    const pausedUntil = Math.max(state.pausedUntil, r.now + r.retryAfterMs);
    return { state: { ...state, pausedUntil }, outcome: 'retry-after' };
  }
  if (state.cutAt !== undefined && r.sentAt < state.cutAt) {
    return { state, outcome: 'same-episode' };
  }
  // What got through is the best estimate of the quota; the configured rate may be far above it.
  const achieved =
    r.acceptedInWindow > 0 ? Math.min(state.perWindow, r.acceptedInWindow) : state.perWindow;
  const perWindow = Math.max(1, achieved * DECREASE);
  const waitForRoom =
    r.oldestAcceptedAt !== undefined
      ? r.oldestAcceptedAt + settings.windowMs - r.now
      : settings.fallbackPauseMs;
  const pause = Math.min(settings.windowMs, Math.max(0, waitForRoom));
  return {
    state: {
      perWindow,
      raiseStep: Math.max(1, perWindow * RAISE_FRACTION),
      cutAt: r.now,
      quietSince: r.now,
      pausedUntil: Math.max(state.pausedUntil, r.now + pause),
    },
    outcome: 'cut',
  };
}

/** An accepted request: after each full window without a cut, one step back up. */
export function onAccepted(
  state: AdaptiveState,
  now: number,
  settings: AdaptiveSettings,
): AdaptiveState {
  if (state.perWindow >= settings.maxPerWindow) return state;
  const quietWindows = Math.floor((now - state.quietSince) / settings.windowMs);
  if (quietWindows < 1) return state;
  return {
    ...state,
    perWindow: Math.min(settings.maxPerWindow, state.perWindow + quietWindows * state.raiseStep),
    quietSince: now,
  };
}

/**
 * Burst and refill of the token bucket for a rate: no window ever holds more than
 * `perWindow` requests (a burst of `capacity` plus `perWindow - capacity + 1` refills,
 * the last of which lands when the window has moved on).
 */
export function bucketOf(
  perWindow: number,
  windowMs: number,
): { capacity: number; refillPerMs: number } {
  const capacity = Math.max(1, Math.floor(perWindow / 10));
  return { capacity, refillPerMs: Math.max(perWindow - capacity + 1, 1) / windowMs };
}
