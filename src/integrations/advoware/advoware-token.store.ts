import { randomUUID } from 'node:crypto';
import type { Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';

export interface CachedToken {
  token: string;
  expiresAt: number;
  /** When to fetch a new one: expiry minus the refresh margin (at most half the lifetime). */
  refreshAt: number;
}

export type TokenRefreshReason = 'cold' | 'expiring' | 'unauthorized';

export interface TokenStoreOptions {
  redis: Redis;
  /** Redis key of the shared token; the lock is `${key}:lock`. */
  key: string;
  marginMs: number;
  /** How long one process may hold the refresh lock (the token request's timeout plus slack). */
  lockTtlMs: number;
  fetch: () => Promise<{ token: string; expiresAt: number }>;
  onRefresh: (reason: TokenRefreshReason) => void;
  logger: Logger;
  pollMs?: number;
  /** Bound on every Redis command, so a hung Redis degrades to the local cache instead of hanging calls. */
  redisTimeoutMs?: number;
}

const DOWN = Symbol('redis-down');
type Down = typeof DOWN;

const INVALIDATE_IF_SAME = `
local v = redis.call('GET', KEYS[1])
if v and cjson.decode(v).token == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;
const RELEASE_IF_OWNER = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/**
 * The Advoware token, shared by every hub instance through Redis with exactly one
 * fetch per expiry across processes: an in-process promise makes one caller per
 * process ask Redis, a short `SET NX PX` lock makes one process ask the gateway,
 * the others poll the shared key. Redis trouble never fails a call: the store
 * falls back to a process-local token and reports itself degraded.
 */
export class AdvowareTokenStore {
  private local?: CachedToken;
  private inflight?: Promise<string>;
  private redisDown = false;
  private readonly lockKey: string;
  private readonly pollMs: number;
  private readonly redisTimeoutMs: number;

  constructor(private readonly options: TokenStoreOptions) {
    this.lockKey = `${options.key}:lock`;
    this.pollMs = options.pollMs ?? 25;
    this.redisTimeoutMs = options.redisTimeoutMs ?? 1000;
  }

  degraded(): boolean {
    return this.redisDown;
  }

  /** A usable token; `missReason` labels the refresh when none is cached (after a 401: 'unauthorized'). */
  get(missReason: 'cold' | 'unauthorized' = 'cold'): Promise<string> {
    const local = this.local;
    if (local && Date.now() < local.refreshAt) return Promise.resolve(local.token);
    if (!this.inflight) {
      const p = this.resolve(missReason).finally(() => {
        if (this.inflight === p) this.inflight = undefined;
      });
      this.inflight = p;
    }
    return this.inflight;
  }

  /** Forgets `token` here and in Redis, but only if it is still the cached one (another process may have refreshed). */
  async invalidate(token: string): Promise<void> {
    if (this.local?.token === token) this.local = undefined;
    await this.redisCall((r) => r.eval(INVALIDATE_IF_SAME, 1, this.options.key, token));
  }

  private async resolve(missReason: 'cold' | 'unauthorized'): Promise<string> {
    const deadline = Date.now() + this.options.lockTtlMs + 1000;
    for (;;) {
      const shared = await this.readShared();
      if (shared === DOWN) return this.fetchLocally(missReason);
      if (shared && Date.now() < shared.refreshAt) {
        this.local = shared;
        return shared.token;
      }
      const reason: TokenRefreshReason = shared ? 'expiring' : missReason;
      const lockValue = randomUUID();
      const locked = await this.redisCall((r) =>
        r.set(this.lockKey, lockValue, 'PX', this.options.lockTtlMs, 'NX'),
      );
      if (locked === DOWN) return this.fetchLocally(missReason);
      if (locked === 'OK') {
        try {
          const again = await this.readShared();
          if (again !== DOWN && again && Date.now() < again.refreshAt) {
            this.local = again;
            return again.token;
          }
          const fresh = await this.fetch(reason);
          await this.writeShared(fresh);
          return fresh.token;
        } finally {
          await this.redisCall((r) => r.eval(RELEASE_IF_OWNER, 1, this.lockKey, lockValue));
        }
      }
      // Another process is refreshing. A token that is only near its refresh time still works meanwhile.
      if (shared && Date.now() < shared.expiresAt) {
        this.local = { ...shared, refreshAt: Math.min(shared.refreshAt, Date.now()) };
        return shared.token;
      }
      if (Date.now() > deadline) {
        this.options.logger.warn(
          'Advoware token lock held past its lifetime; fetching a token without it',
        );
        const fresh = await this.fetch(reason);
        await this.writeShared(fresh);
        return fresh.token;
      }
      await sleep(this.pollMs);
    }
  }

  private async fetchLocally(missReason: 'cold' | 'unauthorized'): Promise<string> {
    const local = this.local;
    if (local && Date.now() < local.refreshAt) return local.token;
    return (await this.fetch(local ? 'expiring' : missReason)).token;
  }

  private async fetch(reason: TokenRefreshReason): Promise<CachedToken> {
    this.options.onRefresh(reason);
    const fetchedAt = Date.now();
    const { token, expiresAt } = await this.options.fetch();
    const lifetime = Math.max(expiresAt - fetchedAt, 0);
    const cached = {
      token,
      expiresAt,
      refreshAt: expiresAt - Math.min(this.options.marginMs, lifetime / 2),
    };
    this.local = cached;
    return cached;
  }

  private async readShared(): Promise<CachedToken | undefined | Down> {
    const raw = await this.redisCall((r) => r.get(this.options.key));
    if (raw === DOWN) return DOWN;
    if (!raw) return undefined;
    try {
      const parsed = JSON.parse(raw) as Partial<CachedToken>;
      if (
        typeof parsed.token === 'string' &&
        typeof parsed.expiresAt === 'number' &&
        typeof parsed.refreshAt === 'number'
      ) {
        return parsed as CachedToken;
      }
    } catch {
      // A foreign or truncated value is treated as no token; the next write replaces it.
    }
    return undefined;
  }

  private async writeShared(token: CachedToken): Promise<void> {
    const ttl = Math.floor(token.expiresAt - Date.now());
    if (ttl <= 0) return;
    await this.redisCall((r) => r.set(this.options.key, JSON.stringify(token), 'PX', ttl));
  }

  private async redisCall<T>(op: (r: Redis) => Promise<T>): Promise<T | Down> {
    let timer: NodeJS.Timeout | undefined;
    try {
      const result = await Promise.race([
        op(this.options.redis),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`Redis did not answer within ${this.redisTimeoutMs} ms`)),
            this.redisTimeoutMs,
          );
        }),
      ]);
      if (this.redisDown) {
        this.redisDown = false;
        this.options.logger.log(
          'Redis token cache reachable again; Advoware token shared across instances',
        );
      }
      return result;
    } catch (err) {
      if (!this.redisDown) {
        this.redisDown = true;
        this.options.logger.warn(
          `Redis token cache unavailable (${(err as Error).message}); using a process-local Advoware token`,
        );
      }
      return DOWN;
    } finally {
      clearTimeout(timer);
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
