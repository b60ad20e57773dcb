import { berlinToUtc, utcToBerlin } from '../core/time/berlin-time.js';

/**
 * Advoware `turnus`/`turnusArt` ↔ an RFC 5545 RRULE. Supported: daily, weekly,
 * monthly, yearly, each with an interval (`turnus`), open-ended or until a date.
 * `turnusArt` codes 1–4 follow an Advoware ActiveSync connector (unverified against
 * the API). A recurring Termin is one occurrence (`datum`, `uhrzeitVon`–`uhrzeitBis`)
 * repeated until `datumBis`; `datumBis` = `datum` means open-ended.
 *
 * Anything else (other codes, COUNT, several weekdays, EXDATE, ...) is *unsupported*:
 * an Advoware series becomes a single event (logged), a Google series is not written
 * to Advoware (the Google side is reset to what Advoware holds).
 */
export type RecurrenceKind = 'daily' | 'weekly' | 'monthly' | 'yearly';

export interface Recurrence {
  kind: RecurrenceKind;
  interval: number;
  /** Last day of the series (Berlin date), open-ended when absent. */
  until?: string;
}

export type RecurrenceResult =
  | { type: 'none' }
  | { type: 'supported'; recurrence: Recurrence }
  | { type: 'unsupported'; reason: string };

const TURNUS_ART: Record<number, RecurrenceKind> = {
  1: 'daily',
  2: 'weekly',
  3: 'monthly',
  4: 'yearly',
};
const FREQ: Record<string, RecurrenceKind> = {
  DAILY: 'daily',
  WEEKLY: 'weekly',
  MONTHLY: 'monthly',
  YEARLY: 'yearly',
};
const WEEKDAYS = ['SU', 'MO', 'TU', 'WE', 'TH', 'FR', 'SA'];

export function recurrenceFromTurnus(
  turnus: number | null | undefined,
  turnusArt: number | null | undefined,
  datum: string,
  datumBis: string | undefined,
): RecurrenceResult {
  if (!turnus || !turnusArt) return { type: 'none' };
  const kind = TURNUS_ART[turnusArt];
  if (!kind) return { type: 'unsupported', reason: `turnusArt ${turnusArt}` };
  if (!Number.isInteger(turnus) || turnus < 1)
    return { type: 'unsupported', reason: `turnus ${turnus}` };
  const until = datumBis && datumBis > datum ? datumBis : undefined;
  return {
    type: 'supported',
    recurrence: until ? { kind, interval: turnus, until } : { kind, interval: turnus },
  };
}

export function turnusOf(recurrence: Recurrence | undefined): {
  turnus: number;
  turnusArt: number;
} {
  if (!recurrence) return { turnus: 0, turnusArt: 0 };
  const code = Number(Object.entries(TURNUS_ART).find(([, k]) => k === recurrence.kind)![0]);
  return { turnus: recurrence.interval, turnusArt: code };
}

/** `UNTIL` is the end of the last day in Berlin, in UTC for timed series (RFC 5545 with TZID) or a date for all-day ones. */
export function rruleOf(recurrence: Recurrence, allDay: boolean): string {
  const parts = [`FREQ=${recurrence.kind.toUpperCase()}`];
  if (recurrence.interval > 1) parts.push(`INTERVAL=${recurrence.interval}`);
  if (recurrence.until) {
    if (allDay) {
      parts.push(`UNTIL=${recurrence.until.replace(/-/g, '')}`);
    } else {
      const utc = new Date(berlinToUtc(recurrence.until, '23:59:59')).toISOString();
      parts.push(`UNTIL=${utc.slice(0, 19).replace(/[-:]/g, '')}Z`);
    }
  }
  return `RRULE:${parts.join(';')}`;
}

/**
 * Reads Google's `recurrence` lines. `startDate` (Berlin) lets BYDAY/BYMONTHDAY/BYMONTH
 * that only repeat the start's own day pass, as Google's UI writes them.
 */
export function parseRecurrence(
  lines: string[] | null | undefined,
  startDate: string,
): RecurrenceResult {
  if (!lines || lines.length === 0) return { type: 'none' };
  if (lines.length > 1) return { type: 'unsupported', reason: `${lines.length} recurrence lines` };
  const line = lines[0].trim();
  if (!/^RRULE:/i.test(line)) return { type: 'unsupported', reason: line.split(':')[0] };
  const fields = new Map<string, string>();
  for (const part of line.slice(6).split(';')) {
    const [key, value] = part.split('=');
    if (key && value !== undefined) fields.set(key.toUpperCase(), value.toUpperCase());
  }
  const kind = FREQ[fields.get('FREQ') ?? ''];
  if (!kind) return { type: 'unsupported', reason: `FREQ=${fields.get('FREQ')}` };
  const interval = fields.has('INTERVAL') ? Number(fields.get('INTERVAL')) : 1;
  if (!Number.isInteger(interval) || interval < 1)
    return { type: 'unsupported', reason: `INTERVAL=${fields.get('INTERVAL')}` };

  const [y, m, d] = startDate.split('-').map(Number);
  const startWeekday = WEEKDAYS[new Date(Date.UTC(y, m - 1, d)).getUTCDay()];
  const allowed: Record<string, string | undefined> = {
    FREQ: undefined,
    INTERVAL: undefined,
    UNTIL: undefined,
    WKST: undefined,
    BYDAY: kind === 'weekly' ? startWeekday : undefined,
    BYMONTHDAY: kind === 'monthly' || kind === 'yearly' ? String(d) : undefined,
    BYMONTH: kind === 'yearly' ? String(m) : undefined,
  };
  for (const [key, value] of fields) {
    if (!(key in allowed)) return { type: 'unsupported', reason: key };
    const only = allowed[key];
    if (['BYDAY', 'BYMONTHDAY', 'BYMONTH'].includes(key) && value !== only) {
      return { type: 'unsupported', reason: `${key}=${value}` };
    }
  }
  const untilRaw = fields.get('UNTIL');
  if (untilRaw === undefined) return { type: 'supported', recurrence: { kind, interval } };
  const until = untilDate(untilRaw);
  if (!until) return { type: 'unsupported', reason: `UNTIL=${untilRaw}` };
  return { type: 'supported', recurrence: { kind, interval, until } };
}

function untilDate(raw: string): string | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})(Z)?)?$/.exec(raw);
  if (!m) return undefined;
  const date = `${m[1]}-${m[2]}-${m[3]}`;
  if (!m[4] || !m[7]) return date;
  return utcToBerlin(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6])).date;
}
