import { createHash } from 'node:crypto';
import { ValidationError } from '../core/errors/upstream.errors.js';
import type {
  AdvowareTermin,
  AdvowareTerminInput,
} from '../integrations/advoware/advoware.types.js';
import {
  eventIdFromFrNr,
  frNrFromEventId,
} from '../integrations/google-calendar/google-calendar.event-id.js';
import type { GoogleEvent } from '../integrations/google-calendar/google-calendar.types.js';
import {
  BERLIN,
  addDays,
  berlinRfc3339,
  berlinToUtc,
  utcIso,
  utcToBerlin,
} from '../core/time/berlin-time.js';
import { parseRecurrence, recurrenceFromTurnus, rruleOf, turnusOf } from './recurrence.mapper.js';

/**
 * An appointment as Google shows it, in one spelling per meaning, so content coming
 * from Advoware and content read back from Google hash alike.
 */
export interface EventContent {
  summary: string;
  description: string;
  location: string;
  allDay: boolean;
  /** All-day: `YYYY-MM-DD`; timed: UTC instant `YYYY-MM-DDTHH:mm:ssZ`. */
  start: string;
  /** All-day: the day after the last day (Google's exclusive end); timed: UTC instant. */
  end: string;
  recurrence: string | null;
}

export interface TerminMapping {
  content: EventContent;
  /** Why something of the Termin could not be carried over (logged by the caller). */
  warnings: string[];
}

export const DEFAULT_START_TIME = '09:00:00';
export const PRIVATE_SUMMARY = 'Termin';
const HOUR_MS = 3600_000;
const HASH_VERSION = 'v1';
const GCAL_MARKER = /\s*\[GCAL:([^\]\s]+)\]/g;

/** `extendedProperties.private` keys the hub owns on every synced event. */
export const PROP_FRNR = 'advowareFrNr';
export const PROP_HASH = 'advowareSyncHash';

// --- Advoware → Google ---------------------------------------------------------------

/**
 * Times are Berlin wall-clock. A missing start time means 09:00 (observed); a missing
 * or earlier end time means one hour after the start. Multi-day appointments keep
 * their whole length. `fullContent=false` gives Google only "Termin" and the times.
 */
export function contentFromTermin(
  t: AdvowareTermin,
  options: { fullContent: boolean },
): TerminMapping {
  const warnings: string[] = [];
  const datum = dateOf(t.datum);
  if (!datum) throw new ValidationError(`Termin ${t.frNr} has no valid datum (${String(t.datum)})`);
  let datumBis = dateOf(t.datumBis) ?? datum;
  if (datumBis < datum) datumBis = datum;
  const recurrence = recurrenceFromTurnus(
    numberOf(t.turnus),
    numberOf(t.turnusArt),
    datum,
    datumBis,
  );
  if (recurrence.type === 'unsupported') {
    warnings.push(
      `recurrence ${recurrence.reason} is not supported; synced as a single appointment`,
    );
  }
  const series = recurrence.type === 'supported' ? recurrence.recurrence : undefined;
  // A series repeats one occurrence on `datum`; `datumBis` is where the series ends.
  const lastDay = series ? datum : datumBis;
  const allDay = t.dauertermin === true;

  let start: string;
  let end: string;
  if (allDay) {
    start = datum;
    end = addDays(lastDay, 1);
  } else {
    const von = timeOf(t.uhrzeitVon) ?? DEFAULT_START_TIME;
    const bis = timeOf(t.uhrzeitBis);
    const startMs = berlinToUtc(datum, von);
    let endMs = bis ? berlinToUtc(lastDay, bis) : berlinToUtc(lastDay, von) + HOUR_MS;
    if (endMs < startMs) endMs = startMs + HOUR_MS;
    start = utcIso(startMs);
    end = utcIso(endMs);
  }
  const full = options.fullContent;
  return {
    content: {
      summary: full ? clean(t.text) : PRIVATE_SUMMARY,
      description: full ? stripGcalMarker(t.notiz) : '',
      location: full ? clean(t.ort) : '',
      allDay,
      start,
      end,
      recurrence: series ? rruleOf(series, allDay) : null,
    },
    warnings,
  };
}

/** The body the hub writes to Google: content plus its references. Nulls clear the other time spelling on a patch. */
export function eventBody(
  content: EventContent,
  refs: { frNr: number | string; hash: string },
): GoogleEvent {
  const time = (value: string) =>
    content.allDay
      ? { date: value, dateTime: null, timeZone: null }
      : { date: null, dateTime: berlinRfc3339(Date.parse(value)), timeZone: BERLIN };
  return {
    summary: content.summary,
    description: content.description,
    location: content.location,
    start: time(content.start),
    end: time(content.end),
    recurrence: content.recurrence ? [content.recurrence] : [],
    extendedProperties: { private: { [PROP_FRNR]: String(refs.frNr), [PROP_HASH]: refs.hash } },
  };
}

export function contentHash(content: EventContent): string {
  const c = content;
  const canonical = JSON.stringify([
    HASH_VERSION,
    c.summary,
    c.description,
    c.location,
    c.allDay,
    c.start,
    c.end,
    c.recurrence,
  ]);
  return createHash('sha256').update(canonical).digest('hex').slice(0, 32);
}

// --- Google → hub --------------------------------------------------------------------

export function contentFromEvent(e: GoogleEvent): EventContent {
  const allDay = Boolean(e.start?.date);
  const at = (dt: GoogleEvent['start'], which: string): string => {
    if (allDay) {
      if (!dt?.date) throw new ValidationError(`event ${e.id} has no ${which} date`);
      return dt.date;
    }
    return utcIso(instantOf(dt, `${e.id} ${which}`));
  };
  return {
    summary: clean(e.summary),
    description: clean(e.description),
    location: clean(e.location),
    allDay,
    start: at(e.start, 'start'),
    end: at(e.end, 'end'),
    recurrence:
      e.recurrence && e.recurrence.length > 0 ? e.recurrence.map((r) => r.trim()).join('\n') : null,
  };
}

/** The frNr an event points to: the hub's property, else the id it was derived from. */
export function frNrOfEvent(e: Pick<GoogleEvent, 'id' | 'extendedProperties'>): string | undefined {
  const prop = e.extendedProperties?.private?.[PROP_FRNR];
  if (typeof prop === 'string' && /^[0-9]+$/.test(prop)) return prop;
  return e.id ? frNrFromEventId(e.id) : undefined;
}

export type AdvowareFields =
  { type: 'supported'; fields: AdvowareTerminInput } | { type: 'unsupported'; reason: string };

/**
 * The Advoware fields for Google content. A series must have one-day occurrences
 * (Advoware keeps the series end in `datumBis`); anything Advoware cannot hold is
 * `unsupported`. `gcalId` marks appointments that were created in Google.
 */
export function terminFieldsFromContent(content: EventContent, gcalId?: string): AdvowareFields {
  const startDate = content.allDay ? content.start : utcToBerlin(Date.parse(content.start)).date;
  const recurrence = parseRecurrence(
    content.recurrence ? content.recurrence.split('\n') : null,
    startDate,
  );
  if (recurrence.type === 'unsupported')
    return { type: 'unsupported', reason: `recurrence ${recurrence.reason}` };
  const series = recurrence.type === 'supported' ? recurrence.recurrence : undefined;
  const fields: AdvowareTerminInput = {
    text: content.summary,
    notiz: withGcalMarker(content.description, gcalId),
    ort: content.location,
    ...turnusOf(series),
  };
  if (content.allDay) {
    const lastDay =
      addDays(content.end, -1) < content.start ? content.start : addDays(content.end, -1);
    if (series && lastDay !== content.start)
      return { type: 'unsupported', reason: 'series of multi-day appointments' };
    return {
      type: 'supported',
      fields: {
        ...fields,
        datum: advowareDate(content.start),
        datumBis: advowareDate(series ? (series.until ?? content.start) : lastDay),
        uhrzeitVon: null,
        uhrzeitBis: null,
        dauertermin: true,
      },
    };
  }
  const from = utcToBerlin(Date.parse(content.start));
  const to = utcToBerlin(Date.parse(content.end));
  if (series && to.date !== from.date)
    return { type: 'unsupported', reason: 'series of multi-day appointments' };
  return {
    type: 'supported',
    fields: {
      ...fields,
      datum: advowareDate(from.date),
      datumBis: advowareDate(series ? (series.until ?? from.date) : to.date),
      uhrzeitVon: from.time,
      uhrzeitBis: to.time,
      dauertermin: false,
    },
  };
}

/**
 * Only the Advoware fields whose meaning differs between the Termin and Google, so
 * a change in Google never rewrites what it did not touch (e.g. an unsupported
 * `turnusArt`, or the text in privacy mode). Empty when nothing needs writing.
 */
export function advowarePatch(
  termin: AdvowareTermin,
  google: EventContent,
  options: { fullContent: boolean },
): AdvowareFields {
  const current = contentFromTermin(termin, options).content;
  const target = terminFieldsFromContent(google, gcalIdOfTermin(termin));
  if (target.type === 'unsupported') return target;
  const f = target.fields;
  const patch: AdvowareTerminInput = {};
  if (options.fullContent) {
    if (google.summary !== current.summary) patch.text = f.text;
    if (google.description !== current.description) patch.notiz = f.notiz;
    if (google.location !== current.location) patch.ort = f.ort;
  }
  const timesDiffer =
    google.allDay !== current.allDay ||
    google.start !== current.start ||
    google.end !== current.end ||
    google.recurrence !== current.recurrence;
  if (timesDiffer) {
    for (const key of [
      'datum',
      'datumBis',
      'uhrzeitVon',
      'uhrzeitBis',
      'dauertermin',
      'turnus',
      'turnusArt',
    ] as const) {
      (patch as Record<string, unknown>)[key] = f[key];
    }
  }
  return { type: 'supported', fields: patch };
}

// --- references --------------------------------------------------------------------

/** The Google event of a Termin: the one it was created from, else the id derived from its frNr. */
export function eventIdOfTermin(t: Pick<AdvowareTermin, 'frNr' | 'notiz'>): string {
  return gcalIdOfTermin(t) ?? eventIdFromFrNr(t.frNr);
}

export function gcalIdOfTermin(t: Pick<AdvowareTermin, 'notiz'>): string | undefined {
  if (typeof t.notiz !== 'string') return undefined;
  const m = /\[GCAL:([^\]\s]+)\]/.exec(t.notiz);
  return m ? m[1] : undefined;
}

export function withGcalMarker(description: string, gcalId: string | undefined): string {
  if (!gcalId) return description;
  return description ? `${description}\n[GCAL:${gcalId}]` : `[GCAL:${gcalId}]`;
}

export function stripGcalMarker(notiz: string | null | undefined): string {
  return clean(typeof notiz === 'string' ? notiz.replace(GCAL_MARKER, '') : '');
}

// --- small parsers -------------------------------------------------------------------

/** `YYYY-MM-DD` from `YYYY-MM-DD` or `YYYY-MM-DDT00:00:00`. */
export function dateOf(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const m = /^(\d{4}-\d{2}-\d{2})/.exec(value.trim());
  return m ? m[1] : undefined;
}

/** `HH:mm:ss` from `HH:mm`, `HH:mm:ss` or a full timestamp; undefined when empty. */
export function timeOf(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const m = /(?:^|T)(\d{1,2}):(\d{2})(?::(\d{2}))?/.exec(value.trim());
  if (!m) return undefined;
  return `${m[1].padStart(2, '0')}:${m[2]}:${m[3] ?? '00'}`;
}

function advowareDate(date: string): string {
  return `${date}T00:00:00`;
}

function clean(value: unknown): string {
  return typeof value === 'string' ? value.replace(/\r\n/g, '\n').trim() : '';
}

function numberOf(value: unknown): number | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}

function instantOf(dt: GoogleEvent['start'], what: string): number {
  const raw = dt?.dateTime;
  if (!raw) throw new ValidationError(`event ${what} has no dateTime`);
  if (/(Z|[+-]\d{2}:\d{2})$/i.test(raw)) return Date.parse(raw);
  // Google answers with an offset; a bare wall-clock time is read in Berlin (the hub's calendars' zone).
  const date = dateOf(raw);
  const time = timeOf(raw);
  if (!date || !time) throw new ValidationError(`event ${what} has an unreadable dateTime ${raw}`);
  if (dt?.timeZone && dt.timeZone !== BERLIN && dt.timeZone !== 'UTC') {
    throw new ValidationError(`event ${what} uses time zone ${dt.timeZone} without an offset`);
  }
  return dt?.timeZone === 'UTC' ? Date.parse(`${date}T${time}Z`) : berlinToUtc(date, time);
}
