import { Inject, Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { AppConfig } from '../../config/app-config.js';
import { REDIS } from '../../core/redis/redis.module.js';
import type { BankverbindungLocation } from './bankverbindungen.mapper.js';

/** Kept after a delete was handled, so a replayed delete webhook still finds its way. */
const HANDLED_LOCATION_TTL_SECONDS = 7 * 24 * 3600;

/**
 * Where a synced account lives in Advoware (party, betnr, konto id), by its EspoCRM id:
 * a record that is gone has only its id. It only says where to look: the account itself
 * is recognised by the EspoCRM id in its Advoware `bemerkung` marker.
 */
@Injectable()
export class BankverbindungLocationStore {
  constructor(
    private readonly config: AppConfig,
    @Inject(REDIS) private readonly redis: Redis,
  ) {}

  async get(id: string): Promise<BankverbindungLocation | undefined> {
    const stored = await this.redis.get(this.key(id));
    return stored ? (JSON.parse(stored) as BankverbindungLocation) : undefined;
  }

  async remember(id: string, location: BankverbindungLocation): Promise<void> {
    await this.redis.set(this.key(id), JSON.stringify(location));
  }

  async forget(id: string): Promise<void> {
    await this.redis.del(this.key(id));
  }

  /** The delete was handled (a Task asks a person): the locator stays a week for replays. */
  async keepHandled(id: string): Promise<void> {
    await this.redis.expire(this.key(id), HANDLED_LOCATION_TTL_SECONDS);
  }

  private key(id: string): string {
    return `${this.config.queue.prefix}:vmh:bankverbindung-location:${id}`;
  }
}
