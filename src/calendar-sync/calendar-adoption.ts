import type { GoogleCalendarListEntry } from '../integrations/google-calendar/google-calendar.types.js';
import type { AdvowareTermin } from '../integrations/advoware/advoware.types.js';
import type { EventRecord } from './calendar-sync.state.js';
import {
  type EventContent,
  PRIVATE_SUMMARY,
  contentFromTermin,
  gcalIdOfTermin,
} from './termin.mapper.js';

/**
 * Taking over what the old hub left in Google instead of duplicating it (issue 15):
 * its calendar ("Advoware <kuerzel>", no marker) and its events (no hub references).
 * Pure; the service lists, patches and writes.
 *
 * Assumed, not observed: how the old hub referenced an appointment on its events.
 * Its extendedProperties keys and id scheme are configuration
 * (CALENDAR_ADOPT_REF_PROPERTIES, CALENDAR_ADOPT_ID_PATTERN); start, end and subject
 * pair what carries neither (start and end alone for the privacy mode's "Termin", when
 * no other Termin has the same times).
 */

export interface AdoptionOptions {
  /** Summary of the old hub's calendar, `{kuerzel}` standing for the employee's. */
  summaryPattern: string;
  /** extendedProperties keys (private or shared) whose value is the frNr. */
  refProperties: string[];
  /** Old event id scheme: a pattern whose first group is the frNr. */
  idPattern?: RegExp;
}

export type CalendarChoice =
  | { kind: 'marked'; id: string }
  | { kind: 'adopt'; id: string; description: string }
  | { kind: 'none' };

/**
 * The hub's calendar by its marker; else the old hub's by its summary (one the user
 * can write to), to be marked; else none (create one).
 */
export function chooseCalendar(
  calendars: GoogleCalendarListEntry[],
  kuerzel: string,
  marker: string,
  options: Pick<AdoptionOptions, 'summaryPattern'>,
): CalendarChoice {
  const byId = (a: GoogleCalendarListEntry, b: GoogleCalendarListEntry) =>
    a.id!.localeCompare(b.id!);
  const marked = calendars
    .filter((c) => c.id && typeof c.description === 'string' && c.description.includes(marker))
    .sort(byId)[0];
  if (marked) return { kind: 'marked', id: marked.id! };
  const wanted = norm(adoptSummaryFor(options.summaryPattern, kuerzel));
  if (!wanted) return { kind: 'none' };
  const old = calendars
    .filter(
      (c) =>
        c.id &&
        !c.primary &&
        (c.accessRole === 'owner' || c.accessRole === 'writer') &&
        norm(c.summary) === wanted,
    )
    .sort(byId)[0];
  if (!old) return { kind: 'none' };
  const description = typeof old.description === 'string' ? old.description.trim() : '';
  return {
    kind: 'adopt',
    id: old.id!,
    description: description ? `${description}\n${marker}` : marker,
  };
}

export { idPatternProblem } from '../config/calendar-adoption.rule.js';

export function adoptSummaryFor(pattern: string, kuerzel: string): string {
  return pattern.replaceAll('{kuerzel}', kuerzel);
}

/** What pairing needs of an event the hub has not linked. */
export interface UnlinkedEvent {
  id: string;
  /** extendedProperties (private and shared) with string values. */
  refs?: Record<string, string>;
  content?: EventContent;
}

/** What pairing needs of a Termin (content with full text). */
export interface TerminKey {
  frNr: string;
  content: EventContent;
  /** An event already points to it: a further event for it is a duplicate. */
  linked: boolean;
}

export interface Adoption {
  /** Event id → frNr of the Termin it stands for. */
  paired: Map<string, string>;
  /**
   * Further events for a Termin already paired or linked (the old hub's duplicates):
   * left alone, never created in Advoware as new Termine.
   */
  duplicates: Map<string, string>;
}

/**
 * Pairs events without hub references with Termine: first by the old reference
 * (property or id scheme), then by start, end and subject. Each Termin takes at most
 * one event, none if an event is linked to it already; events are taken in id order,
 * so runs agree.
 */
export function pairUnlinked(
  events: UnlinkedEvent[],
  termine: TerminKey[],
  options: Pick<AdoptionOptions, 'refProperties' | 'idPattern'>,
): Adoption {
  const paired = new Map<string, string>();
  const duplicates = new Map<string, string>();
  const open = new Map(termine.map((t) => [t.frNr, t]));
  const taken = new Set(termine.filter((t) => t.linked).map((t) => t.frNr));
  const sorted = [...events].sort((a, b) => a.id.localeCompare(b.id));

  const take = (e: UnlinkedEvent, frNr: string) => {
    if (taken.has(frNr)) duplicates.set(e.id, frNr);
    else {
      taken.add(frNr);
      paired.set(e.id, frNr);
    }
  };

  const rest: UnlinkedEvent[] = [];
  for (const e of sorted) {
    const ref = oldReference(e, options);
    if (ref !== undefined && open.has(ref)) take(e, ref);
    else rest.push(e);
  }

  // An unlinked Termin first, so a linked twin does not hide it.
  const byContent = new Map<string, string>();
  // Events the old hub wrote in privacy mode say only "Termin": their times must be unique.
  const byTimes = new Map<string, string | null>();
  for (const t of [...termine].sort((a, b) => Number(a.linked) - Number(b.linked))) {
    const key = contentKey(t.content);
    if (!byContent.has(key)) byContent.set(key, t.frNr);
    const times = contentKey({ ...t.content, summary: PRIVATE_SUMMARY });
    byTimes.set(times, byTimes.has(times) ? null : t.frNr);
  }
  for (const e of rest) {
    if (!e.content) continue;
    const key = contentKey(e.content);
    const frNr = byContent.get(key) ?? (isPrivate(e.content) ? byTimes.get(key) : undefined);
    if (frNr !== undefined && frNr !== null) take(e, frNr);
  }
  return { paired, duplicates };
}

function isPrivate(c: EventContent): boolean {
  return norm(c.summary) === norm(PRIVATE_SUMMARY);
}

/**
 * The pairing for one run: events the hub has not linked (no frNr, not a Termin's
 * `[GCAL:]` event, live, not an occurrence) against the window's Termine.
 */
export function adoptUnlinked(
  termine: AdvowareTermin[],
  records: Iterable<EventRecord>,
  options: Pick<AdoptionOptions, 'refProperties' | 'idPattern'>,
): Adoption {
  const all = [...records];
  const linked = new Set(all.map((r) => r.frNr).filter((f): f is string => f !== undefined));
  const gcalIds = new Set(termine.map((t) => gcalIdOfTermin(t)).filter(Boolean));
  const events = all.filter(
    (r) => r.frNr === undefined && !r.cancelled && !r.instanceOf && !gcalIds.has(r.id),
  );
  if (events.length === 0) return { paired: new Map(), duplicates: new Map() };
  const keys: TerminKey[] = [];
  for (const t of termine) {
    const frNr = String(t.frNr);
    try {
      const { content } = contentFromTermin(t, { fullContent: true });
      keys.push({ frNr, content, linked: linked.has(frNr) || Boolean(gcalIdOfTermin(t)) });
    } catch {
      // a Termin without a usable date cannot be paired by content; its own sync reports it
    }
  }
  return pairUnlinked(events, keys, options);
}

/** The frNr the old hub left on the event, by property or by its id scheme. */
export function oldReference(
  e: Pick<UnlinkedEvent, 'id' | 'refs'>,
  options: Pick<AdoptionOptions, 'refProperties' | 'idPattern'>,
): string | undefined {
  for (const key of options.refProperties) {
    const value = e.refs?.[key]?.trim();
    if (value && /^[0-9]+$/.test(value)) return withoutLeadingZeros(value);
  }
  const m = options.idPattern?.exec(e.id);
  if (m?.[1] && /^[0-9]+$/.test(m[1])) return withoutLeadingZeros(m[1]);
  return undefined;
}

/** Same start, end and subject (case and spacing aside); description and place may differ. */
export function contentKey(c: EventContent): string {
  return JSON.stringify([c.allDay, c.start, c.end, norm(c.summary)]);
}

function withoutLeadingZeros(digits: string): string {
  return digits.replace(/^0+(?=[0-9])/, '');
}

function norm(value: string | null | undefined): string {
  return (value ?? '').replace(/\s+/g, ' ').trim().toLowerCase();
}
