import { Injectable, Logger } from '@nestjs/common';
import { parseAdvowareTime } from '../integrations/advoware/advoware-time.js';
import { AppConfig } from '../config/app-config.js';
import {
  PermanentUpstreamError,
  UpstreamConflictError,
  UpstreamForbiddenError,
} from '../core/errors/upstream.errors.js';
import { AdvowareClient } from '../integrations/advoware/advoware.client.js';
import type {
  AdvowareTermin,
  AdvowareTerminInput,
} from '../integrations/advoware/advoware.types.js';
import { GoogleCalendarClient } from '../integrations/google-calendar/google-calendar.client.js';
import { EventChangedError } from '../integrations/google-calendar/google-calendar.types.js';
import type { CalendarPair } from './calendar-pairing.js';
import {
  type EventSide,
  type SyncDecision,
  type TerminSide,
  decideSync,
} from './calendar-sync.decision.js';
import { type EventRecord, recordOf } from './calendar-sync.state.js';
import {
  type EventContent,
  advowarePatch,
  contentFromTermin,
  contentHash,
  eventBody,
  eventIdOfTermin,
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

/** Everything one employee's run works on; the writer updates `records` and counts into `result`. */
export interface CalendarRun {
  kuerzel: string;
  subject: string;
  calendarId: string;
  fullContent: boolean;
  records: Map<string, EventRecord>;
  result: EmployeeSyncResult;
}

interface MappedTermin {
  termin: AdvowareTermin;
  content: EventContent;
  hash: string;
}

/**
 * Writes what `decideSync` decides for one pair of Termin and event (paired by
 * `pairTermine`), with as few calls as the decision needs.
 */
@Injectable()
export class CalendarWriter {
  private readonly logger = new Logger(CalendarWriter.name);

  constructor(
    private readonly config: AppConfig,
    private readonly advoware: AdvowareClient,
    private readonly google: GoogleCalendarClient,
  ) {}

  // --- deciding ------------------------------------------------------------------------

  async syncPair(run: CalendarRun, pair: CalendarPair): Promise<void> {
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

  private mapTermin(run: CalendarRun, termin: AdvowareTermin): MappedTermin {
    const { content, warnings } = contentFromTermin(termin, { fullContent: run.fullContent });
    for (const w of warnings)
      this.logger.warn(`calendar ${run.kuerzel}: Termin ${termin.frNr}: ${w}`);
    return { termin, content, hash: contentHash(content) };
  }

  private async apply(
    run: CalendarRun,
    mapped: MappedTermin | undefined,
    record: EventRecord | undefined,
    firstTry: boolean,
  ): Promise<void> {
    const terminSide: TerminSide | undefined = mapped && {
      hash: mapped.hash,
      modifiedAt: parseAdvowareTime(mapped.termin.zuletztGeaendertAm),
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
    run: CalendarRun,
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
    run: CalendarRun,
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

  private async deleteGoogle(run: CalendarRun, record: EventRecord): Promise<void> {
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
    run: CalendarRun,
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
    run: CalendarRun,
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
    run: CalendarRun,
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
