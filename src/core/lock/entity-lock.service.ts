import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import Redlock from 'redlock';
import { AppConfig } from '../../config/app-config.js';
import { HubMetrics } from '../metrics/hub-metrics.js';
import { REDIS } from '../redis/redis.module.js';

export interface LockKey {
  /** The step's lock name, e.g. `document_sync`. */
  step: string;
  entityType: string;
  entityId: string;
}

export type LockOutcome =
  /** The work ran `runs` times (1 + trailing runs) under the lock. */
  | { status: 'ran'; runs: number }
  /** Another worker holds the lock; it will run once more for this event. */
  | { status: 'deferred'; key: string }
  /** A pending check found the pending event already taken by a run. */
  | { status: 'noop' };

/**
 * Set on the delayed job the worker enqueues after a deferral: if the holder
 * crashed, its pending event would otherwise wait for the next webhook.
 */
export interface PendingCheck {
  pendingCheck?: boolean;
}

export function lockKeyString(key: LockKey): string {
  return `${key.step}:${key.entityType}:${key.entityId}`;
}

/**
 * Releases the lock unless an event arrived during the run. If one did, the
 * holder keeps the lock (TTL renewed) and takes the newest event's payload for one
 * more run — atomically, so an event can never slip between "check" and "release".
 */
const RELEASE_OR_TAKE_PENDING = `
if redis.call('get', KEYS[1]) ~= ARGV[1] then return {0} end
local p = redis.call('get', KEYS[2])
if p then
  redis.call('del', KEYS[2])
  redis.call('pexpire', KEYS[1], ARGV[2])
  return {2, p}
end
redis.call('del', KEYS[1])
return {1}
`;

/**
 * Redlock's scripts, adapted through its `lockScript`/`extendScript`/`unlockScript`
 * options so that a lock call may carry keys to delete in the same round trip: KEYS[1]
 * is the lock, KEYS[2..] are deleted first whether or not the lock is free (a job's
 * coalescing key is freed as it starts, lock or no lock). Success answers #KEYS, as
 * Redlock counts a vote. With one key they do what Redlock's own scripts do.
 */
const LOCK_FREEING = `
for i = 2, #KEYS do redis.call('del', KEYS[i]) end
if redis.call('exists', KEYS[1]) == 1 then return 0 end
redis.call('set', KEYS[1], ARGV[1], 'PX', ARGV[2])
return #KEYS
`;
const EXTEND_FIRST = `
if redis.call('get', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('set', KEYS[1], ARGV[1], 'PX', ARGV[2])
return #KEYS
`;
const UNLOCK_FIRST = `
if redis.call('get', KEYS[1]) == ARGV[1] then redis.call('del', KEYS[1]) end
return #KEYS
`;

type ReleaseCommand = (
  lock: string,
  pending: string,
  token: string,
  ttlMs: number,
) => Promise<[number, string?]>;

type Held = { lock: Redlock.Lock; timer: NodeJS.Timeout };

/**
 * Sequential per entity, parallel across entities (DESIGN.md principles 2 and 3).
 *
 * A busy lock is not an error: the loser records its event as *pending* and
 * returns; the holder, before it releases, finds the pending event and runs once
 * more. Any number of events during one run collapse into that one trailing run,
 * carrying the newest payload. The loser re-tries the lock once after recording,
 * which closes the window where the holder released between the two steps.
 */
@Injectable()
export class EntityLock {
  private readonly logger = new Logger(EntityLock.name);
  private readonly redlock: Redlock;
  private readonly held = new Set<Held>();
  private releaseWaiters: Array<() => void> = [];

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    private readonly config: AppConfig,
    private readonly metrics: HubMetrics,
  ) {
    // One Redis, so Redlock degenerates to SET NX PX with a token, plus safe extend.
    // ioredis flattens the argument arrays Redlock 4 passes, so the client fits at runtime.
    this.redlock = new Redlock([redis as unknown as Redlock.CompatibleRedisClient], {
      retryCount: 0,
      driftFactor: 0.01,
      lockScript: () => LOCK_FREEING,
      extendScript: () => EXTEND_FIRST,
      unlockScript: () => UNLOCK_FIRST,
    });
    this.redlock.on('clientError', () => undefined);
    // EVALSHA with ioredis' fallback: not the script's text with every job.
    redis.defineCommand('hubReleaseOrTakePending', {
      numberOfKeys: 2,
      lua: RELEASE_OR_TAKE_PENDING,
    });
  }

  get heldCount(): number {
    return this.held.size;
  }

  private redisKey(kind: 'lock' | 'pending', key: LockKey): string {
    return `${this.config.queue.prefix}:${kind}:${lockKeyString(key)}`;
  }

  /** Remaining TTL of a held lock in ms, or null when free (for the console). */
  async inspect(key: LockKey): Promise<{ held: boolean; ttlMs: number | null; pending: boolean }> {
    const [ttl, pending] = await Promise.all([
      this.redis.pttl(this.redisKey('lock', key)),
      this.redis.exists(this.redisKey('pending', key)),
    ]);
    return { held: ttl > 0, ttlMs: ttl > 0 ? ttl : null, pending: pending === 1 };
  }

  /**
   * `freeFirst`: keys deleted in the lock's own round trip before it is tried, whether
   * or not it is free (the job's coalescing key, which must be free before the run reads).
   */
  async runExclusive<P extends PendingCheck>(
    key: LockKey,
    payload: P,
    fn: (payload: P) => Promise<unknown>,
    freeFirst: string[] = [],
  ): Promise<LockOutcome> {
    const resource = this.redisKey('lock', key);
    const pendingKey = this.redisKey('pending', key);
    const ttl = this.config.lock.ttlMs;

    let lock = await this.tryLock(resource, ttl, freeFirst);
    let current = payload;
    if (payload.pendingCheck) {
      if (!lock) return this.defer(key);
      const pending = await this.redis.getdel(pendingKey);
      if (pending === null) {
        await this.unlockQuietly(lock);
        return { status: 'noop' };
      }
      this.metrics.locks.inc({ step: key.step, outcome: 'orphan_recovered' });
      current = JSON.parse(pending) as P;
    } else if (!lock) {
      await this.redis.set(pendingKey, JSON.stringify(payload), 'PX', Math.max(ttl * 4, 60_000));
      lock = await this.tryLock(resource, ttl);
      if (!lock) return this.defer(key);
      // We run now, after our own record: whatever is pending is covered by this run.
      await this.redis.del(pendingKey);
    }
    this.metrics.locks.inc({ step: key.step, outcome: 'acquired' });

    const held = { lock } as Held;
    held.timer = this.keepAlive(held, ttl, key);
    this.held.add(held);
    let runs = 0;
    let released = false;
    try {
      for (;;) {
        runs += 1;
        await fn(current);
        const [status, next] = await (
          this.redis as Redis & { hubReleaseOrTakePending: ReleaseCommand }
        ).hubReleaseOrTakePending(resource, pendingKey, held.lock.value as string, ttl);
        if (status === 1) {
          released = true;
          break;
        }
        if (status === 2 && next !== undefined) {
          this.metrics.locks.inc({ step: key.step, outcome: 'trailing_run' });
          current = JSON.parse(next) as P;
          continue;
        }
        // The lock expired under us (a stall longer than the TTL). Whoever holds it
        // now will see the pending event; if nobody does, take it back and go on.
        this.metrics.locks.inc({ step: key.step, outcome: 'lost' });
        this.logger.warn(`lock ${lockKeyString(key)} expired during a run`);
        const again = await this.tryLock(resource, ttl);
        if (!again) {
          released = true;
          break;
        }
        held.lock = again;
        const pending = await this.redis.getdel(pendingKey);
        if (pending === null) {
          await this.unlockQuietly(again);
          released = true;
          break;
        }
        current = JSON.parse(pending) as P;
      }
      return { status: 'ran', runs };
    } finally {
      clearInterval(held.timer);
      if (!released) await this.unlockQuietly(held.lock);
      this.held.delete(held);
      if (this.held.size === 0) this.notifyReleased();
    }
  }

  private defer(key: LockKey): LockOutcome {
    this.metrics.locks.inc({ step: key.step, outcome: 'busy' });
    return { status: 'deferred', key: lockKeyString(key) };
  }

  /** Resolves once no lock is held, or after `timeoutMs` (shutdown must not hang). */
  waitForRelease(timeoutMs: number): Promise<boolean> {
    if (this.held.size === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.releaseWaiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  private notifyReleased(): void {
    const waiters = this.releaseWaiters;
    this.releaseWaiters = [];
    waiters.forEach((w) => w());
  }

  private async tryLock(
    resource: string,
    ttl: number,
    freeFirst: string[] = [],
  ): Promise<Redlock.Lock | null> {
    try {
      return await this.redlock.lock(freeFirst.length ? [resource, ...freeFirst] : resource, ttl);
    } catch (err) {
      if (err instanceof Redlock.LockError) return null;
      throw err;
    }
  }

  private keepAlive(held: Held, ttl: number, key: LockKey): NodeJS.Timeout {
    const timer = setInterval(
      () => {
        held.lock
          .extend(ttl)
          .catch(() => this.logger.warn(`could not extend lock ${lockKeyString(key)}`));
      },
      Math.floor(ttl / 3),
    );
    timer.unref();
    return timer;
  }

  private async unlockQuietly(lock: Redlock.Lock): Promise<void> {
    try {
      await lock.unlock();
    } catch {
      // Expired already, or Redis is gone: the TTL frees it either way.
    }
  }
}
