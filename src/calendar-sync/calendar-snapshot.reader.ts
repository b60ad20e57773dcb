import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { PermanentUpstreamError, UpstreamNotFoundError } from '../core/errors/upstream.errors.js';
import { GoogleCalendarClient } from '../integrations/google-calendar/google-calendar.client.js';
import { SyncTokenExpiredError } from '../integrations/google-calendar/google-calendar.types.js';
import { BERLIN } from '../core/time/berlin-time.js';
import { chooseCalendar } from './calendar-adoption.js';
import { CalendarSyncState, type EventRecord, recordOf } from './calendar-sync.state.js';

/** The days one run covers, as Berlin dates and as UTC instants. */
export interface SyncWindow {
  from: string;
  to: string;
  startMs: number;
  endMs: number;
}

/** The Google side of one employee's run: the hub calendar and its events as the hub knows them. */
export interface GoogleSnapshot {
  calendarId: string;
  mode: 'full' | 'incremental';
  records: Map<string, EventRecord>;
  nextSyncToken: string;
  /** The saved snapshot's raw entries, so `CalendarSyncState.save` writes only what changed. */
  previous?: Map<string, string>;
}

export function calendarMarker(kuerzel: string): string {
  return `[bitbylaw-hub:advoware:${kuerzel}]`;
}

/**
 * Reads one employee's Google calendar: incrementally with the saved sync token
 * against the snapshot kept in Redis, or in full over the window when there is no
 * token, the token expired (410) or the calendar is gone (404, found or created again).
 */
@Injectable()
export class CalendarSnapshotReader {
  private readonly logger = new Logger(CalendarSnapshotReader.name);

  constructor(
    private readonly config: AppConfig,
    private readonly google: GoogleCalendarClient,
    private readonly state: CalendarSyncState,
  ) {}

  async read(kuerzel: string, subject: string, window: SyncWindow): Promise<GoogleSnapshot> {
    let calendarId = await this.ensureCalendar(kuerzel, subject);
    const saved = await this.state.load(kuerzel, calendarId);
    if (saved) {
      try {
        const changes = await this.google.listEventsIncremental(
          subject,
          calendarId,
          saved.syncToken,
        );
        for (const e of changes.events) if (e.id) saved.records.set(e.id, recordOf(e));
        return {
          calendarId,
          mode: 'incremental',
          records: saved.records,
          nextSyncToken: changes.nextSyncToken,
          previous: saved.raw,
        };
      } catch (err) {
        if (err instanceof SyncTokenExpiredError) {
          this.logger.log(`calendar ${kuerzel}: sync token expired (410); full sync`);
        } else if (err instanceof UpstreamNotFoundError) {
          this.logger.warn(
            `calendar ${kuerzel}: calendar ${calendarId} is gone; finding or creating it again`,
          );
          await this.state.forget(kuerzel, calendarId);
          calendarId = await this.ensureCalendar(kuerzel, subject);
        } else {
          throw err;
        }
      }
    }
    const listed = await this.google.listEventsFull(subject, calendarId, {
      timeMin: new Date(window.startMs).toISOString(),
      timeMax: new Date(window.endMs).toISOString(),
    });
    const records = new Map<string, EventRecord>();
    for (const e of listed.events) if (e.id) records.set(e.id, recordOf(e));
    return { calendarId, mode: 'full', records, nextSyncToken: listed.nextSyncToken };
  }

  /** The employee's hub calendar by its marker, else the old hub's (adopted and marked), else a new one. */
  private async ensureCalendar(kuerzel: string, subject: string): Promise<string> {
    const cached = await this.state.calendarId(kuerzel);
    if (cached) return cached;
    const marker = calendarMarker(kuerzel);
    const calendars = await this.google.listCalendars(subject);
    const choice = chooseCalendar(calendars, kuerzel, marker, this.config.calendar.adopt);
    let calendarId = choice.kind === 'none' ? undefined : choice.id;
    if (choice.kind === 'adopt') {
      await this.google.patchCalendarDescription(subject, choice.id, choice.description);
      this.logger.log(`calendar ${kuerzel}: adopted the old calendar ${choice.id} of ${subject}`);
    }
    if (!calendarId) {
      const created = await this.google.insertCalendar(subject, {
        summary: `Advoware ${kuerzel}`,
        description: `Termine aus Advoware, abgeglichen von bitbylaw-hub. ${marker}`,
        timeZone: BERLIN,
      });
      if (!created.id)
        throw new PermanentUpstreamError(
          'google',
          `calendars.insert for ${subject} answered without id`,
        );
      calendarId = created.id;
      this.logger.log(`calendar ${kuerzel}: created Google calendar ${calendarId} for ${subject}`);
    }
    await this.state.setCalendarId(kuerzel, calendarId);
    return calendarId;
  }
}
