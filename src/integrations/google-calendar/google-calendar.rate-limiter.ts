import {
  type AdaptiveSettings,
  type AdaptiveState,
  type RefusalOutcome,
  bucketOf,
  initialState,
  onAccepted,
  onRefused,
} from './google-calendar.adaptive-rate.js';

interface Subject {
  state: AdaptiveState;
  tokens: number;
  /** Last refill instant; in the future while the user is paused. */
  at: number;
  /** Bumped when a pause discards the reservations made under the old rate. */
  generation: number;
  /** Answer times of accepted requests, oldest first, trimmed to one window. */
  accepted: number[];
}

export interface RateLimiterOptions {
  perMinute: number;
  /** Google's quota window; 60 s as documented unless a test shortens it. */
  windowMs?: number;
  /** Pause after a refusal when nothing tells a better one. */
  fallbackPauseMs?: number;
  now?: () => number;
}

/**
 * A token bucket per impersonated user, because Google's quota is counted per user,
 * whose rate adapts to Google's answers (`google-calendar.adaptive-rate.ts`): a
 * refusal cuts the rate and pauses the user until the quota window has room, so the
 * requests already queued wait instead of collecting more refusals.
 *
 * The state lives in this process, not in Redis: every request passes it, and a
 * Redis round trip per Google call would double the calendar sync's latency; the
 * entity lock already keeps one employee's run on one worker at a time. The cost is
 * that another worker (or a restart) learns a low quota again, with one round of
 * refusals (at most the run's parallel writes).
 */
export class SubjectRateLimiter {
  readonly settings: AdaptiveSettings;
  private readonly now: () => number;
  private readonly subjects = new Map<string, Subject>();

  constructor(options: RateLimiterOptions) {
    const { perMinute } = options;
    if (!Number.isFinite(perMinute) || perMinute < 1)
      throw new RangeError(`perMinute must be >= 1, got ${perMinute}`);
    const windowMs = options.windowMs ?? 60_000;
    this.settings = {
      maxPerWindow: Math.max(1, (perMinute * windowMs) / 60_000),
      windowMs,
      fallbackPauseMs: Math.min(windowMs, options.fallbackPauseMs ?? 1000),
    };
    this.now = options.now ?? Date.now;
  }

  /** Takes one request slot for the subject; answers how long to wait before using it. */
  reserve(subject: string): { delayMs: number; generation: number } {
    const now = this.now();
    const s = this.subject(subject, now);
    const { capacity, refillPerMs } = bucketOf(s.state.perWindow, this.settings.windowMs);
    const t = Math.max(now, s.at);
    s.tokens = Math.min(capacity, s.tokens + (t - s.at) * refillPerMs);
    s.at = t;
    s.tokens -= 1;
    if (this.subjects.size > 1000) this.forgetIdle(now);
    const wait = s.tokens >= 0 ? 0 : Math.ceil(-s.tokens / refillPerMs);
    return { delayMs: t - now + wait, generation: s.generation };
  }

  /**
   * Waits until a slot for the subject is free and answers the send time to report
   * back. A pause decided meanwhile sends the waiter back to the queue.
   */
  async acquire(subject: string): Promise<number> {
    for (;;) {
      const { delayMs, generation } = this.reserve(subject);
      if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
      if (this.subjects.get(subject)?.generation === generation) return this.now();
    }
  }

  /** Google accepted a request of the subject. */
  accepted(subject: string): void {
    const now = this.now();
    const s = this.subject(subject, now);
    s.accepted.push(now);
    this.trim(s, now);
    s.state = onAccepted(s.state, now, this.settings);
  }

  /** Google refused a request sent at `sentAt` for its quota. */
  refused(subject: string, sentAt: number, retryAfterMs?: number): RefusalOutcome {
    const now = this.now();
    const s = this.subject(subject, now);
    this.trim(s, now);
    const { state, outcome } = onRefused(
      s.state,
      {
        now,
        sentAt,
        retryAfterMs,
        acceptedInWindow: s.accepted.length,
        oldestAcceptedAt: s.accepted[0],
      },
      this.settings,
    );
    s.state = state;
    if (outcome !== 'same-episode') {
      // Reservations made at the old rate are void; the first request goes at the pause's end.
      s.generation += 1;
      s.at = Math.max(now, state.pausedUntil);
      s.tokens = 1;
    }
    return outcome;
  }

  /** The subject's current rate in requests per minute (the configured one when unknown). */
  perMinute(subject: string): number {
    const perWindow = this.subjects.get(subject)?.state.perWindow ?? this.settings.maxPerWindow;
    return (perWindow * 60_000) / this.settings.windowMs;
  }

  /** Subjects currently tracked. */
  get size(): number {
    return this.subjects.size;
  }

  private subject(subject: string, now: number): Subject {
    let s = this.subjects.get(subject);
    if (!s) {
      const state = initialState(this.settings, now);
      s = {
        state,
        tokens: bucketOf(state.perWindow, this.settings.windowMs).capacity,
        at: now,
        generation: 0,
        accepted: [],
      };
      this.subjects.set(subject, s);
    }
    return s;
  }

  private trim(s: Subject, now: number): void {
    const from = now - this.settings.windowMs;
    let drop = 0;
    while (drop < s.accepted.length && s.accepted[drop] <= from) drop++;
    if (drop > 0) s.accepted.splice(0, drop);
  }

  /** A user at the full rate, with a full bucket and nothing recent, is the same as none. */
  private forgetIdle(now: number): void {
    for (const [subject, s] of this.subjects) {
      const { capacity, refillPerMs } = bucketOf(s.state.perWindow, this.settings.windowMs);
      const full = s.at <= now && s.tokens + (now - s.at) * refillPerMs >= capacity;
      if (full && s.state.perWindow >= this.settings.maxPerWindow) this.subjects.delete(subject);
    }
  }
}
