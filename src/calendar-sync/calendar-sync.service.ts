import { Injectable, Logger, NotFoundException } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import {
  PermanentUpstreamError,
  TransientUpstreamError,
  ValidationError,
} from '../core/errors/upstream.errors.js';
import { JobProducer } from '../core/queue/job-producer.service.js';
import { AdvowareClient } from '../integrations/advoware/advoware.client.js';
import type { AdvowareMitarbeiter } from '../integrations/advoware/advoware.types.js';
import { addDays, berlinToUtc, utcToBerlin } from '../core/time/berlin-time.js';
import { pairTermine } from './calendar-pairing.js';
import { CalendarSnapshotReader, type SyncWindow } from './calendar-snapshot.reader.js';
import { CalendarSyncState } from './calendar-sync.state.js';
import {
  CalendarWriter,
  type CalendarRun,
  type EmployeeSyncResult,
} from './calendar-writer.service.js';
import { CalendarTopics, type CalendarSyncPayload } from './calendar.jobs.js';
import { eachLimited } from './each-limited.js';

// Kept importable from here: callers and tests knew them as this service's.
export { calendarMarker } from './calendar-snapshot.reader.js';
export type { EmployeeSyncResult, SyncCounts } from './calendar-writer.service.js';

export interface TriggerResult {
  status: 'triggered';
  kuerzel: string;
  jobs: number;
}

const PARALLEL_WRITES = 8;

/**
 * Advoware Termine ↔ each employee's Google calendar (DOMAIN.md "Calendar sync").
 * Advoware is read whole for the window every run (one call); Google incrementally
 * with a sync token, against a snapshot of its events kept in Redis
 * (`CalendarSnapshotReader`). Each pair of Termin and event is decided by `decideSync`
 * and written with as few calls as the decision needs (`CalendarWriter`), so a run
 * with nothing changed writes nothing on either side.
 */
@Injectable()
export class CalendarSyncService {
  private readonly logger = new Logger(CalendarSyncService.name);

  constructor(
    private readonly config: AppConfig,
    private readonly advoware: AdvowareClient,
    private readonly reader: CalendarSnapshotReader,
    private readonly writer: CalendarWriter,
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
    const google = await this.reader.read(employee.kuerzel, subject, window);
    const run: CalendarRun = {
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
    const pairs = pairTermine(termine, run.records, window, this.config.calendar.adopt);
    await eachLimited(pairs, PARALLEL_WRITES, async (pair) => {
      try {
        await this.writer.syncPair(run, pair);
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
}
