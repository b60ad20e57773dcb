import { Inject, Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { AppConfig } from '../config/app-config.js';
import { REDIS } from '../core/redis/redis.module.js';
import type { GoogleEvent } from '../integrations/google-calendar/google-calendar.types.js';
import { berlinToUtc } from '../core/time/berlin-time.js';
import {
  type EventContent,
  PROP_HASH,
  contentFromEvent,
  contentHash,
  frNrOfEvent,
  terminFieldsFromContent,
} from './termin.mapper.js';

/**
 * What the hub knows of one Google event between runs: enough to decide without
 * fetching it again. Derived from the event alone, so the whole snapshot can be
 * rebuilt from one full listing; the references themselves live on the event.
 */
export interface EventRecord {
  id: string;
  cancelled: boolean;
  /** The Termin it belongs to (hub property or an id derived from a frNr). */
  frNr?: string;
  /** Hash stored by the hub's last write. */
  syncedHash?: string;
  /** Absent for cancelled events and for times the hub cannot read. */
  content?: EventContent;
  hash: string;
  updatedAt?: number;
  etag?: string;
  /** For the window test; a series counts as running on. */
  startMs?: number;
  endMs?: number;
  recurring: boolean;
  /** Set on a changed occurrence of a series (not synced). */
  instanceOf?: string;
  fitsAdvoware: boolean;
  /** Why the content could not be read, for the log. */
  unreadable?: string;
  /** extendedProperties of an event the hub has not linked, to find the old hub's reference. */
  refs?: Record<string, string>;
}

export function recordOf(e: GoogleEvent): EventRecord {
  const id = e.id ?? '';
  const frNr = frNrOfEvent(e);
  const base = {
    id,
    frNr,
    refs: frNr === undefined ? foreignRefs(e) : undefined,
    syncedHash: e.extendedProperties?.private?.[PROP_HASH] ?? undefined,
    updatedAt: e.updated ? Date.parse(e.updated) : undefined,
    etag: e.etag ?? undefined,
    instanceOf: e.recurringEventId ?? undefined,
    recurring: Boolean(e.recurrence && e.recurrence.length > 0),
  };
  if (e.status === 'cancelled') return { ...base, cancelled: true, hash: '', fitsAdvoware: false };
  let content: EventContent;
  try {
    content = contentFromEvent(e);
  } catch (err) {
    return {
      ...base,
      cancelled: false,
      hash: '',
      fitsAdvoware: false,
      unreadable: (err as Error).message,
    };
  }
  const instant = (v: string) => (content.allDay ? berlinToUtc(v, '00:00:00') : Date.parse(v));
  return {
    ...base,
    cancelled: false,
    content,
    hash: contentHash(content),
    startMs: instant(content.start),
    endMs: instant(content.end),
    fitsAdvoware: terminFieldsFromContent(content).type === 'supported',
  };
}

function foreignRefs(e: GoogleEvent): Record<string, string> | undefined {
  const props = { ...e.extendedProperties?.shared, ...e.extendedProperties?.private };
  const refs = Object.entries(props).filter(([, v]) => typeof v === 'string' && v.length <= 64);
  return refs.length > 0 ? Object.fromEntries(refs) : undefined;
}

export function inWindow(r: EventRecord, window: { startMs: number; endMs: number }): boolean {
  if (r.startMs === undefined || r.endMs === undefined) return false;
  if (r.startMs >= window.endMs) return false;
  return r.recurring || r.endMs > window.startMs;
}

export interface SavedState {
  syncToken: string;
  records: Map<string, EventRecord>;
  /** As stored, to write back only what changed. */
  raw: Map<string, string>;
}

/** Marks an events hash as written, so an empty calendar is told apart from a lost snapshot. */
const META_FIELD = '~meta';

/**
 * Per employee in Redis (`REDIS`): the calendar id, and per calendar the sync token
 * and the event snapshot. A lost Redis costs one `calendarList.list` and one full
 * `events.list`; no mapping is lost, because the references are on the events.
 */
@Injectable()
export class CalendarSyncState {
  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    private readonly config: AppConfig,
  ) {}

  private key(kuerzel: string, ...parts: string[]): string {
    return [this.config.queue.prefix, 'calendar_sync', kuerzel, ...parts].join(':');
  }

  calendarId(kuerzel: string): Promise<string | null> {
    return this.redis.get(this.key(kuerzel, 'calendar'));
  }

  async setCalendarId(kuerzel: string, calendarId: string): Promise<void> {
    await this.redis.set(this.key(kuerzel, 'calendar'), calendarId);
  }

  async forget(kuerzel: string, calendarId: string): Promise<void> {
    await this.redis.del(
      this.key(kuerzel, 'calendar'),
      this.key(kuerzel, calendarId, 'syncToken'),
      this.key(kuerzel, calendarId, 'events'),
    );
  }

  /** The saved token and snapshot, or undefined when either is missing (then a full sync is due). */
  async load(kuerzel: string, calendarId: string): Promise<SavedState | undefined> {
    const [token, hash] = await Promise.all([
      this.redis.get(this.key(kuerzel, calendarId, 'syncToken')),
      this.redis.hgetall(this.key(kuerzel, calendarId, 'events')),
    ]);
    if (!token || hash[META_FIELD] === undefined) return undefined;
    const raw = new Map<string, string>();
    const records = new Map<string, EventRecord>();
    for (const [id, json] of Object.entries(hash)) {
      if (id === META_FIELD) continue;
      raw.set(id, json);
      records.set(id, JSON.parse(json) as EventRecord);
    }
    return { syncToken: token, records, raw };
  }

  /** Token and snapshot in one transaction; only changed fields are written after an incremental run. */
  async save(
    kuerzel: string,
    calendarId: string,
    syncToken: string,
    records: Map<string, EventRecord>,
    previous: Map<string, string> | undefined,
  ): Promise<void> {
    const eventsKey = this.key(kuerzel, calendarId, 'events');
    const tx = this.redis.multi();
    if (!previous) tx.del(eventsKey);
    const changed: string[] = [];
    for (const [id, record] of records) {
      const json = JSON.stringify(record);
      if (previous?.get(id) !== json) changed.push(id, json);
    }
    const removed = previous ? [...previous.keys()].filter((id) => !records.has(id)) : [];
    if (removed.length > 0) tx.hdel(eventsKey, ...removed);
    tx.hset(
      eventsKey,
      META_FIELD,
      JSON.stringify({ savedAt: new Date().toISOString() }),
      ...changed,
    );
    tx.set(this.key(kuerzel, calendarId, 'syncToken'), syncToken);
    const results = await tx.exec();
    const failed = results?.find(([err]) => err);
    if (failed) throw failed[0] as Error;
  }
}
