import { Injectable, Logger, NotFoundException } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import {
  PermanentUpstreamError,
  TransientUpstreamError,
  UpstreamConflictError,
  UpstreamForbiddenError,
  UpstreamNotFoundError,
  ValidationError,
} from '../core/errors/upstream.errors.js';
import { JobProducer } from '../core/queue/job-producer.service.js';
import { AdvowareClient } from '../integrations/advoware/advoware.client.js';
import type {
  AdvowareMitarbeiter,
  AdvowareTermin,
  AdvowareTerminInput,
} from '../integrations/advoware/advoware.types.js';
import { GoogleCalendarClient } from '../integrations/google-calendar/google-calendar.client.js';
import {
  EventChangedError,
  SyncTokenExpiredError,
} from '../integrations/google-calendar/google-calendar.types.js';
import { BERLIN, addDays, berlinToUtc, utcToBerlin } from './berlin-time.js';
import { adoptUnlinked, chooseCalendar } from './calendar-adoption.js';
import { eachLimited } from './each-limited.js';
import {
  type EventSide,
  type SyncDecision,
  type TerminSide,
  decideSync,
} from './calendar-sync.decision.js';
import { CalendarSyncState, type EventRecord, inWindow, recordOf } from './calendar-sync.state.js';
import { CalendarTopics, type CalendarSyncPayload } from './calendar.jobs.js';
import {
  type EventContent,
  advowarePatch,
  advowareTimestamp,
  contentFromTermin,
  contentHash,
  eventBody,
  eventIdOfTermin,
  gcalIdOfTermin,
  terminFieldsFromContent,
} from './termin.mapper.js';

export interface SyncCounts {
  created: number;
  updated: number;
  deleted: number;
}

export interface EmployeeSyncResult {
  kuerzel: string;
  calendarId: string;
  mode: 'full' | 'incremental';
  google: SyncCounts;
  advoware: SyncCounts;
  unchanged: number;
  skipped: number;
  failed: number;
}

export interface TriggerResult {
  status: 'triggered';
  kuerzel: string;
  jobs: number;
}

interface SyncWindow {
  from: string;
  to: string;
  startMs: number;
  endMs: number;
}

/** Everything one employee's run works on. */
interface Run {
  kuerzel: string;
  subject: string;
  calendarId: string;
  fullContent: boolean;
  records: Map<string, EventRecord>;
  result: EmployeeSyncResult;
}

interface Pair {
  termin?: AdvowareTermin;
  record?: EventRecord;
}

interface MappedTermin {
  termin: AdvowareTermin;
  content: EventContent;
  hash: string;
}

const PARALLEL_WRITES = 8;

export function calendarMarker(kuerzel: string): string {
  return `[bitbylaw-hub:advoware:${kuerzel}]`;
}

/**
 * Advoware Termine ↔ each employee's Google calendar (DOMAIN.md "Calendar sync").
 * Advoware is read whole for the window every run (one call); Google incrementally
 * with a sync token, against a snapshot of its events kept in Redis. Each pair of
 * Termin and event is decided by `decideSync` and written with as few calls as the
 * decision needs, so a run with nothing changed writes nothing on either side.
 */
@Injectable()
export class CalendarSyncService {
  private readonly logger = new Logger(CalendarSyncService.name);

  constructor(
    private readonly config: AppConfig,
    private readonly advoware: AdvowareClient,
    private readonly google: GoogleCalendarClient,
    private readonly state: CalendarSyncState,
    private readonly producer: JobProducer,
  ) {}

  // --- triggers ------------------------------------------------------------------------

  /** One job per employee (`ALL`: every active Mitarbeiter, restricted by CALENDAR_SYNC_KUERZEL). */
  async trigger(kuerzel: string, fullContent: boolean, traceId: string): Promise<TriggerResult> {
    const employees = await this.employeesToSync(kuerzel);
    await this.producer.enqueue(
      CalendarTopics.SyncEmployee,
      employees.map((k): CalendarSyncPayload => ({ kuerzel: k, fullContent, traceId })),
      { coalesceBy: (p) => p.kuerzel },
    );
    return { status: 'triggered', kuerzel, jobs: employees.length };
  }

  async employeesToSync(kuerzel: string): Promise<string[]> {
    const restrict = this.config.calendar.kuerzel.map((k) => k.toUpperCase());
    const active = (await this.advoware.listMitarbeiter())
      .filter((m) => m.aktiv !== false && typeof m.kuerzel === 'string' && m.kuerzel !== '')
      .filter((m) => restrict.length === 0 || restrict.includes(m.kuerzel.toUpperCase()))
      .map((m) => m.kuerzel);
    if (kuerzel === 'ALL') return active;
    const match = active.find((k) => k.toUpperCase() === kuerzel.toUpperCase());
    if (!match)
      throw new NotFoundException(`no active Mitarbeiter ${kuerzel} enabled for calendar sync`);
    return [match];
  }

  // --- one employee --------------------------------------------------------------------

  async syncEmployee(kuerzel: string, fullContent: boolean): Promise<EmployeeSyncResult> {
    const employee = await this.employee(kuerzel);
    const subject = this.subjectOf(employee);
    const window = this.window(new Date());
    const termine = await this.advoware.listTermine({
      kuerzel: employee.kuerzel,
      from: window.from,
      to: window.to,
    });
    const google = await this.readGoogle(employee.kuerzel, subject, window);
    const run: Run = {
      kuerzel: employee.kuerzel,
      subject,
      calendarId: google.calendarId,
      fullContent,
      records: google.records,
      result: {
        kuerzel: employee.kuerzel,
        calendarId: google.calendarId,
        mode: google.mode,
        google: { created: 0, updated: 0, deleted: 0 },
        advoware: { created: 0, updated: 0, deleted: 0 },
        unchanged: 0,
        skipped: 0,
        failed: 0,
      },
    };

    let transient: unknown;
    await eachLimited(this.pairs(termine, run.records, window), PARALLEL_WRITES, async (pair) => {
      try {
        await this.syncPair(run, pair);
      } catch (err) {
        run.result.failed += 1;
        const what = pair.termin ? `Termin ${pair.termin.frNr}` : `event ${pair.record?.id}`;
        this.logger.warn(`calendar ${run.kuerzel}: ${what} failed: ${(err as Error).message}`);
        if (!(err instanceof PermanentUpstreamError)) transient ??= err;
      }
    });
    // Handled deletions leave the snapshot; a failed one comes back through the insert conflict.
    for (const [id, r] of run.records) if (r.cancelled) run.records.delete(id);
    await this.state.save(
      run.kuerzel,
      run.calendarId,
      google.nextSyncToken,
      run.records,
      google.previous,
    );

    const r = run.result;
    this.logger.log(
      `calendar ${r.kuerzel} synced (${r.mode}): google +${r.google.created} ~${r.google.updated} -${r.google.deleted}, ` +
        `advoware +${r.advoware.created} ~${r.advoware.updated} -${r.advoware.deleted}, ` +
        `${r.unchanged} unchanged, ${r.skipped} skipped, ${r.failed} failed`,
    );
    if (transient) {
      throw new TransientUpstreamError(
        'google',
        `calendar ${r.kuerzel}: ${r.failed} appointment(s) failed; retrying`,
        {
          reason: (transient as Error).message,
        },
      );
    }
    return r;
  }

  private async employee(kuerzel: string): Promise<AdvowareMitarbeiter> {
    const all = await this.advoware.listMitarbeiter();
    const found = all.find((m) => m.kuerzel?.toUpperCase() === kuerzel.toUpperCase());
    if (!found) throw new ValidationError(`Advoware has no Mitarbeiter ${kuerzel}`);
    return found;
  }

  /** The Google user to impersonate: the Mitarbeiter's email, else `<kuerzel>@CALENDAR_EMPLOYEE_EMAIL_DOMAIN`. */
  private subjectOf(m: AdvowareMitarbeiter): string {
    const email = typeof m.email === 'string' ? m.email.trim() : '';
    if (email) return email;
    const domain = this.config.calendar.employeeEmailDomain?.trim();
    if (domain) return `${m.kuerzel.toLowerCase()}@${domain}`;
    throw new ValidationError(
      `Mitarbeiter ${m.kuerzel} has no email and CALENDAR_EMPLOYEE_EMAIL_DOMAIN is not set`,
    );
  }

  private window(now: Date): SyncWindow {
    const today = utcToBerlin(now.getTime()).date;
    const from = addDays(today, -this.config.calendar.windowDaysBack);
    const to = addDays(today, this.config.calendar.windowDaysAhead);
    return {
      from,
      to,
      startMs: berlinToUtc(from, '00:00:00'),
      endMs: berlinToUtc(addDays(to, 1), '00:00:00'),
    };
  }

  // --- Google side -------------------------------------------------------------------

  private async readGoogle(
    kuerzel: string,
    subject: string,
    window: SyncWindow,
  ): Promise<{
    calendarId: string;
    mode: 'full' | 'incremental';
    records: Map<string, EventRecord>;
    nextSyncToken: string;
    previous?: Map<string, string>;
  }> {
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

  // --- pairing and deciding ------------------------------------------------------------

  /**
   * Termin and event belong together by frNr (the event's property or derived id),
   * or by the `[GCAL:<id>]` marker of a Termin created from Google, or as the old hub
   * left them (`adoptUnlinked`; its duplicates are left alone). Events outside the
   * window and changed occurrences of a series are left alone.
   */
  private pairs(
    termine: AdvowareTermin[],
    records: Map<string, EventRecord>,
    window: SyncWindow,
  ): Pair[] {
    const byFrNr = new Map(termine.map((t) => [String(t.frNr), t]));
    const byMarker = new Map<string, AdvowareTermin>();
    for (const t of termine) {
      const gcal = gcalIdOfTermin(t);
      if (gcal) byMarker.set(gcal, t);
    }
    const adopted = adoptUnlinked(termine, records.values(), this.config.calendar.adopt);
    const paired = new Set<string>();
    const out: Pair[] = [];
    for (const record of records.values()) {
      if (record.instanceOf || adopted.duplicates.has(record.id)) continue;
      record.frNr ??= adopted.paired.get(record.id);
      const termin = (record.frNr ? byFrNr.get(record.frNr) : undefined) ?? byMarker.get(record.id);
      if (termin && !paired.has(String(termin.frNr))) {
        paired.add(String(termin.frNr));
        out.push({ termin, record });
      } else if (record.cancelled || inWindow(record, window)) {
        out.push({ record });
      }
    }
    for (const t of termine) if (!paired.has(String(t.frNr))) out.push({ termin: t });
    return out;
  }

  private async syncPair(run: Run, pair: Pair): Promise<void> {
    let { termin } = pair;
    const { record } = pair;
    if (record?.unreadable) {
      run.result.skipped += 1;
      this.logger.warn(`calendar ${run.kuerzel}: event ${record.id} skipped: ${record.unreadable}`);
      return;
    }
    if (!termin && record && !record.cancelled && record.frNr) {
      // Not in the window's list: deleted, moved out of the window, or given to someone else.
      const found = await this.advoware.getTermin(record.frNr);
      if (found && (!found.kuerzel || found.kuerzel.toUpperCase() === run.kuerzel.toUpperCase()))
        termin = found;
    }
    const mapped = termin ? this.mapTermin(run, termin) : undefined;
    await this.apply(run, mapped, record, true);
  }

  private mapTermin(run: Run, termin: AdvowareTermin): MappedTermin {
    const { content, warnings } = contentFromTermin(termin, { fullContent: run.fullContent });
    for (const w of warnings)
      this.logger.warn(`calendar ${run.kuerzel}: Termin ${termin.frNr}: ${w}`);
    return { termin, content, hash: contentHash(content) };
  }

  private async apply(
    run: Run,
    mapped: MappedTermin | undefined,
    record: EventRecord | undefined,
    firstTry: boolean,
  ): Promise<void> {
    const terminSide: TerminSide | undefined = mapped && {
      hash: mapped.hash,
      modifiedAt: advowareTimestamp(mapped.termin.zuletztGeaendertAm),
    };
    const eventSide: EventSide | undefined = record && {
      cancelled: record.cancelled,
      linked: record.frNr !== undefined,
      syncedHash: record.syncedHash,
      hash: record.hash,
      updatedAt: record.updatedAt,
      fitsAdvoware: record.fitsAdvoware,
    };
    const decision = decideSync(terminSide, eventSide, {
      advowareWriteAllowed: this.config.calendar.advowareWriteAllowed,
    });
    const entity = mapped ? `Termin ${mapped.termin.frNr}` : `event ${record?.id}`;
    const done = (what: string) =>
      this.logger.debug(`calendar ${run.kuerzel}: ${entity} ${what} (${decision.reason})`);

    switch (decision.action) {
      case 'none':
        run.result.unchanged += 1;
        return;
      case 'skip':
        run.result.skipped += 1;
        return done('skipped');
      case 'forget':
        run.records.delete(record!.id);
        return;
      case 'create_google':
        return this.createGoogle(run, mapped!, firstTry, done);
      case 'update_google':
      case 'restore_google':
        await this.writeGoogle(run, mapped!, record!, decision);
        return done(
          decision.action === 'restore_google' ? 'recreated in Google' : 'updated in Google',
        );
      case 'delete_google':
        await this.deleteGoogle(run, record!);
        return done('deleted in Google');
      case 'create_advoware':
        return this.createAdvoware(run, record!, done);
      case 'update_advoware':
        return this.updateAdvoware(run, mapped!, record!, decision, done);
      case 'delete_advoware':
        return this.deleteAdvoware(run, mapped!, record!, decision, done);
    }
  }

  // --- writes ------------------------------------------------------------------------

  private async createGoogle(
    run: Run,
    mapped: MappedTermin,
    firstTry: boolean,
    done: (what: string) => void,
  ): Promise<void> {
    const id = eventIdOfTermin(mapped.termin);
    try {
      const created = await this.google.insertEvent(run.subject, run.calendarId, {
        ...eventBody(mapped.content, { frNr: mapped.termin.frNr, hash: mapped.hash }),
        id,
      });
      run.records.set(id, recordOf(created));
      run.result.google.created += 1;
      done('created in Google');
    } catch (err) {
      // The id is derived, so a conflict means the event exists (outside the snapshot, or cancelled): decide on it.
      if (!(err instanceof UpstreamConflictError) || !firstTry) throw err;
      const existing = recordOf(await this.google.getEvent(run.subject, run.calendarId, id));
      run.records.set(id, existing);
      await this.apply(run, mapped, existing, false);
    }
  }

  /** `counted=false` for the patch that only links an event or stores the new hash after an Advoware write. */
  private async writeGoogle(
    run: Run,
    mapped: MappedTermin,
    record: EventRecord,
    decision: SyncDecision,
    counted = true,
  ): Promise<void> {
    const restore = decision.action === 'restore_google';
    const body = eventBody(mapped.content, { frNr: mapped.termin.frNr, hash: mapped.hash });
    if (restore) body.status = 'confirmed';
    try {
      const updated = await this.google.patchEvent(run.subject, run.calendarId, record.id, body, {
        ifMatch: restore ? undefined : record.etag,
      });
      run.records.set(record.id, recordOf(updated));
    } catch (err) {
      if (!(err instanceof EventChangedError)) throw err;
      // Someone edited it in Google since it was listed: that edit arrives with the next incremental list.
      run.result.skipped += 1;
      this.logger.log(
        `calendar ${run.kuerzel}: event ${record.id} changed in Google meanwhile; next run decides`,
      );
      return;
    }
    if (!counted) return;
    if (restore) run.result.google.created += 1;
    else run.result.google.updated += 1;
  }

  private async deleteGoogle(run: Run, record: EventRecord): Promise<void> {
    try {
      await this.google.deleteEvent(run.subject, run.calendarId, record.id, {
        ifMatch: record.etag,
      });
    } catch (err) {
      if (!(err instanceof EventChangedError)) throw err;
      run.result.skipped += 1;
      return;
    }
    run.records.delete(record.id);
    run.result.google.deleted += 1;
  }

  private async createAdvoware(
    run: Run,
    record: EventRecord,
    done: (what: string) => void,
  ): Promise<void> {
    const fields = terminFieldsFromContent(record.content!, record.id);
    if (fields.type === 'unsupported') {
      run.result.skipped += 1;
      return done(`not written to Advoware: ${fields.reason}`);
    }
    const created = await this.advoware.createTermin({ ...fields.fields, kuerzel: run.kuerzel });
    if (!created || created.frNr === undefined || created.frNr === null) {
      throw new PermanentUpstreamError(
        'advoware',
        `creating the Termin for event ${record.id} answered without frNr`,
      );
    }
    run.result.advoware.created += 1;
    done(`created in Advoware as Termin ${created.frNr}`);
    // Link the event to its Termin (and write back Advoware's spelling of the content).
    const mapped = this.mapTermin(run, created);
    await this.writeGoogle(run, mapped, record, { action: 'update_google', reason: 'link' }, false);
  }

  private async updateAdvoware(
    run: Run,
    mapped: MappedTermin,
    record: EventRecord,
    decision: SyncDecision,
    done: (what: string) => void,
  ): Promise<void> {
    const patch = advowarePatch(mapped.termin, record.content!, { fullContent: run.fullContent });
    const nothing = patch.type === 'supported' && Object.keys(patch.fields).length === 0;
    if (patch.type === 'unsupported' || nothing) {
      // Nothing Advoware could take (privacy mode, unsupported recurrence): Google goes back to Advoware's state.
      await this.writeGoogle(run, mapped, record, {
        action: 'update_google',
        reason: decision.reason,
      });
      return done('reset in Google');
    }
    const next = { ...terminInput(mapped.termin), ...patch.fields };
    const answer = await this.advoware.updateTermin(mapped.termin.frNr, next);
    const updated: AdvowareTermin =
      answer && typeof answer === 'object' && answer.frNr !== undefined
        ? answer
        : { ...mapped.termin, ...patch.fields };
    run.result.advoware.updated += 1;
    done(`updated in Advoware: ${Object.keys(patch.fields).join(', ')}`);
    await this.writeGoogle(
      run,
      this.mapTermin(run, updated),
      record,
      { action: 'update_google', reason: 'store hash' },
      false,
    );
  }

  private async deleteAdvoware(
    run: Run,
    mapped: MappedTermin,
    record: EventRecord,
    decision: SyncDecision,
    done: (what: string) => void,
  ): Promise<void> {
    try {
      await this.advoware.deleteTermin(mapped.termin.frNr);
    } catch (err) {
      if (!(err instanceof UpstreamForbiddenError)) throw err;
      // Advoware refuses the delete: keep both sides consistent by bringing the event back.
      await this.writeGoogle(run, mapped, record, {
        action: 'restore_google',
        reason: 'Advoware refused the delete',
      });
      return done('recreated in Google (Advoware refused the delete)');
    }
    run.records.delete(record.id);
    run.result.advoware.deleted += 1;
    done(`deleted in Advoware (${decision.reason})`);
  }
}

function terminInput(t: AdvowareTermin): AdvowareTerminInput {
  const { frNr: _frNr, zuletztGeaendertAm: _changed, ...rest } = t;
  return rest;
}
