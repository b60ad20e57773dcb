import type { AdvowareTermin } from '../integrations/advoware/advoware.types.js';
import { type AdoptionOptions, adoptUnlinked } from './calendar-adoption.js';
import type { SyncWindow } from './calendar-snapshot.reader.js';
import { type EventRecord, inWindow } from './calendar-sync.state.js';
import { gcalIdOfTermin } from './termin.mapper.js';

/** A Termin, an event, or both, decided together. */
export interface CalendarPair {
  termin?: AdvowareTermin;
  record?: EventRecord;
}

/**
 * Termin and event belong together by frNr (the event's property or derived id),
 * or by the `[GCAL:<id>]` marker of a Termin created from Google, or as the old hub
 * left them (`adoptUnlinked`; its duplicates are left alone). Events outside the
 * window and changed occurrences of a series are left alone. Sets the adopted
 * frNr on the record it pairs.
 */
export function pairTermine(
  termine: AdvowareTermin[],
  records: Map<string, EventRecord>,
  window: SyncWindow,
  adopt: Pick<AdoptionOptions, 'refProperties' | 'idPattern'>,
): CalendarPair[] {
  const byFrNr = new Map(termine.map((t) => [String(t.frNr), t]));
  const byMarker = new Map<string, AdvowareTermin>();
  for (const t of termine) {
    const gcal = gcalIdOfTermin(t);
    if (gcal) byMarker.set(gcal, t);
  }
  const adopted = adoptUnlinked(termine, records.values(), adopt);
  const paired = new Set<string>();
  const out: CalendarPair[] = [];
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
