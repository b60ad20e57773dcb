import { Inject, Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { AppConfig } from '../../config/app-config.js';
import { REDIS } from '../../core/redis/redis.module.js';
import { parseAdvowareTime } from '../../integrations/advoware/advoware-time.js';
import type { AdvowareBeteiligte } from '../../integrations/advoware/advoware.types.js';

/**
 * The retried-create guard without `externeId`. `externeId` is our assumption: an
 * Advoware that drops fields it does not know never echoes it, and a create whose
 * answer was lost would be made a second time. So before each POST the hub writes
 * a journal entry keyed by the EspoCRM id (when, under which name); a retry that
 * finds an entry but no party by `externeId` looks at Advoware's newest parties of
 * that name and adopts the one changed after the entry was written.
 */
export interface CreateJournalEntry {
  /** Hub clock (ms) just before the first POST. */
  startedAt: number;
  /** Every `name` a POST was sent with (a user may rename between attempts). */
  names: string[];
  vorname?: string | null;
  /** Set once a POST answered: the party the entry belongs to. */
  betNr?: number;
}

/**
 * Advoware's clock against the hub's: a party stamped up to this much before the
 * journal entry still counts as "made after it". Assumed; wide enough for an
 * unsynchronised server, narrow enough that an old namesake is not taken.
 */
export const CLOCK_TOLERANCE_MS = 2 * 60_000;

/** Kept after the create, for a replayed delete or create webhook. */
const JOURNAL_TTL_SECONDS = 7 * 24 * 3600;

const norm = (v: unknown) => (typeof v === 'string' ? v.trim().toLowerCase() : '');

/**
 * The party a lost create answer made, from the namesakes Advoware lists: same name
 * (and first name, when one was sent), not carrying another EspoCRM id, changed at or
 * after the journal entry; the newest (highest betNr) of those. Pure.
 */
export function adoptionCandidate(
  entry: CreateJournalEntry,
  espoId: string,
  namesakes: AdvowareBeteiligte[],
): AdvowareBeteiligte | undefined {
  const names = new Set(entry.names.map(norm));
  const vorname = norm(entry.vorname);
  return namesakes
    .filter((b) => names.has(norm(b.name)))
    .filter((b) => vorname === '' || norm(b.vorname) === vorname)
    .filter((b) => !b.externeId || b.externeId === espoId)
    .filter((b) => {
      const t = parseAdvowareTime(b.geaendertAm);
      return t !== undefined && t >= entry.startedAt - CLOCK_TOLERANCE_MS;
    })
    .sort((a, b) => b.betNr - a.betNr)[0];
}

@Injectable()
export class BeteiligteCreateJournal {
  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    private readonly config: AppConfig,
  ) {}

  async get(espoId: string): Promise<CreateJournalEntry | undefined> {
    const raw = await this.redis.get(this.key(espoId));
    return raw ? (JSON.parse(raw) as CreateJournalEntry) : undefined;
  }

  /** Before a POST: keeps the first attempt's time, adds the name about to be sent. */
  async beforeCreate(
    espoId: string,
    name: string,
    vorname: string | null | undefined,
    now = Date.now(),
  ): Promise<CreateJournalEntry> {
    const old = await this.get(espoId);
    const entry: CreateJournalEntry = {
      startedAt: old?.startedAt ?? now,
      names: [...new Set([...(old?.names ?? []), name])],
      vorname: vorname ?? old?.vorname ?? null,
    };
    await this.save(espoId, entry);
    return entry;
  }

  /** The POST answered (or an earlier one was adopted): the entry names its party. */
  async created(espoId: string, betNr: number): Promise<void> {
    const old = await this.get(espoId);
    await this.save(espoId, {
      startedAt: old?.startedAt ?? Date.now(),
      names: old?.names ?? [],
      vorname: old?.vorname,
      betNr,
    });
  }

  /** Advoware refused the POST outright: nothing was made, nothing to look for. */
  async forget(espoId: string): Promise<void> {
    await this.redis.del(this.key(espoId));
  }

  private async save(espoId: string, entry: CreateJournalEntry): Promise<void> {
    await this.redis.set(this.key(espoId), JSON.stringify(entry), 'EX', JOURNAL_TTL_SECONDS);
  }

  private key(espoId: string): string {
    return `${this.config.queue.prefix}:vmh:beteiligte-create:${espoId}`;
  }
}
