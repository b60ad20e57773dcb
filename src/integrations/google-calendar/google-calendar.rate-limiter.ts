interface Bucket {
  tokens: number;
  at: number;
}

/**
 * A token bucket per impersonated user, because Google's quota is counted per user
 * (default 600 requests/minute). `reserve` takes a slot at once and answers how long
 * to wait before using it, so concurrent callers queue up fairly without a lock.
 *
 * Burst and refill are chosen so that no 60-second window ever holds more than
 * `perMinute` requests: a burst of `capacity` plus `perMinute - capacity + 1` refills,
 * the last of which only lands when the window has already moved on. The bucket
 * lives in this process; several hub instances each get their own budget.
 */
export class SubjectRateLimiter {
  readonly capacity: number;
  readonly refillPerMs: number;
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    readonly perMinute: number,
    private readonly now: () => number = Date.now,
  ) {
    if (!Number.isFinite(perMinute) || perMinute < 1)
      throw new RangeError(`perMinute must be >= 1, got ${perMinute}`);
    this.capacity = Math.max(1, Math.floor(perMinute / 10));
    this.refillPerMs = (perMinute - this.capacity + 1) / 60_000;
  }

  /** Takes one request slot for the subject; resolves to the delay in ms before it may be sent. */
  reserve(subject: string): number {
    const t = this.now();
    const bucket = this.buckets.get(subject) ?? { tokens: this.capacity, at: t };
    bucket.tokens = Math.min(
      this.capacity,
      bucket.tokens + Math.max(0, t - bucket.at) * this.refillPerMs,
    );
    bucket.at = t;
    bucket.tokens -= 1;
    this.buckets.set(subject, bucket);
    if (this.buckets.size > 1000) this.forgetIdle(t);
    return bucket.tokens >= 0 ? 0 : Math.ceil(-bucket.tokens / this.refillPerMs);
  }

  /** Waits until a slot for the subject is free. */
  async acquire(subject: string): Promise<void> {
    const delay = this.reserve(subject);
    if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
  }

  /** Subjects currently tracked (a full bucket is the same as none). */
  get size(): number {
    return this.buckets.size;
  }

  private forgetIdle(t: number): void {
    for (const [subject, b] of this.buckets) {
      if (b.tokens + (t - b.at) * this.refillPerMs >= this.capacity) this.buckets.delete(subject);
    }
  }
}
