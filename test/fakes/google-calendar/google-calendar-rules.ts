import type { calendar_v3 } from 'googleapis';

/**
 * What the Google Calendar fake checks about events and times, kept apart from the
 * HTTP plumbing. Each rule throws a `GoogleRuleError` with the reason Google gives.
 */

export type FakeEvent = calendar_v3.Schema$Event;
type EventDateTime = calendar_v3.Schema$EventDateTime;

export class GoogleRuleError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

const EVENT_ID = /^[a-v0-9]{5,1024}$/;
const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|[+-]\d{2}:\d{2})?$/i;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const STATUSES = new Set(['confirmed', 'tentative', 'cancelled']);
/** Fields Google computes; a client sending them is ignored, as Google does. */
const READ_ONLY = [
  'kind',
  'etag',
  'created',
  'updated',
  'htmlLink',
  'iCalUID',
  'creator',
  'organizer',
] as const;

export function isValidEventId(id: string): boolean {
  return EVENT_ID.test(id);
}

/** Milliseconds of an RFC 3339 timestamp with a mandatory offset (query parameters). */
export function parseQueryTime(name: string, value: string): number {
  const m = RFC3339.exec(value);
  if (!m || !m[7])
    throw new GoogleRuleError(
      400,
      'badRequest',
      `Bad Request: ${name} must be RFC 3339 with offset`,
    );
  const ms = Date.parse(value);
  if (!Number.isFinite(ms)) throw new GoogleRuleError(400, 'badRequest', `Bad Request: ${name}`);
  return ms;
}

/** The instant an `EventDateTime` stands for; all-day dates start at midnight in the calendar's zone. */
export function instantOf(
  dt: EventDateTime,
  calendarTimeZone: string,
  which: 'start' | 'end',
): number {
  if (dt.dateTime) {
    const m = RFC3339.exec(dt.dateTime);
    if (!m) throw new GoogleRuleError(400, 'invalid', `Invalid ${which} time.`);
    if (m[7]) return Date.parse(dt.dateTime);
    const zone = dt.timeZone ?? calendarTimeZone;
    return zonedToUtc(+m[1], +m[2], +m[3], +m[4], +m[5], +(m[6] ?? 0), zone);
  }
  if (dt.date) {
    const m = DATE.exec(dt.date);
    if (!m) throw new GoogleRuleError(400, 'invalid', `Invalid ${which} date.`);
    return zonedToUtc(+m[1], +m[2], +m[3], 0, 0, 0, calendarTimeZone);
  }
  throw new GoogleRuleError(400, 'required', `Missing ${which} time.`);
}

export function assertTimeZone(zone: string): void {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
  } catch {
    throw new GoogleRuleError(400, 'invalid', `Invalid time zone definition: ${zone}`);
  }
}

/**
 * Checks an event as it would be stored: both ends present and of one kind, a
 * non-empty range, time zones on recurring timed events (Google refuses those
 * without), known status, string-valued extended properties.
 */
export function validateEvent(event: FakeEvent, calendarTimeZone: string): void {
  if (event.id !== undefined && event.id !== null && !isValidEventId(event.id)) {
    throw new GoogleRuleError(400, 'invalid', 'Invalid resource id value.');
  }
  if (event.status && !STATUSES.has(event.status))
    throw new GoogleRuleError(400, 'invalid', 'Invalid value for: status');
  if (!event.start) throw new GoogleRuleError(400, 'required', 'Missing start time.');
  if (!event.end) throw new GoogleRuleError(400, 'required', 'Missing end time.');
  for (const [which, dt] of [
    ['start', event.start],
    ['end', event.end],
  ] as const) {
    if (dt.date && dt.dateTime)
      throw new GoogleRuleError(
        400,
        'invalid',
        `Invalid ${which} time: date and dateTime both set.`,
      );
    if (dt.timeZone) assertTimeZone(dt.timeZone);
  }
  if (Boolean(event.start.date) !== Boolean(event.end.date)) {
    throw new GoogleRuleError(
      400,
      'invalid',
      'Start and end times must either both be date or both be dateTime.',
    );
  }
  const start = instantOf(event.start, calendarTimeZone, 'start');
  const end = instantOf(event.end, calendarTimeZone, 'end');
  if (end < start)
    throw new GoogleRuleError(400, 'timeRangeEmpty', 'The specified time range is empty.');
  if (event.recurrence && event.recurrence.length > 0 && event.start.dateTime) {
    if (!event.start.timeZone)
      throw new GoogleRuleError(400, 'required', 'Missing time zone definition for start time.');
    if (!event.end.timeZone)
      throw new GoogleRuleError(400, 'required', 'Missing time zone definition for end time.');
  }
  for (const scope of ['private', 'shared'] as const) {
    const props = event.extendedProperties?.[scope];
    if (props === undefined || props === null) continue;
    if (typeof props !== 'object')
      throw new GoogleRuleError(400, 'invalid', `Invalid extendedProperties.${scope}`);
    for (const [key, value] of Object.entries(props)) {
      if (typeof value !== 'string') {
        throw new GoogleRuleError(
          400,
          'invalid',
          `Invalid value for extendedProperties.${scope}.${key}: must be a string`,
        );
      }
    }
  }
}

/** The series' last moment: the `UNTIL` of its RRULE, or open-ended (COUNT is not expanded). */
export function seriesEndOf(event: FakeEvent, calendarTimeZone: string): number {
  const end = instantOf(event.end!, calendarTimeZone, 'end');
  if (!event.recurrence || event.recurrence.length === 0) return end;
  const rrule = event.recurrence.find((r) => r.toUpperCase().startsWith('RRULE:'));
  const until = rrule && /UNTIL=(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})Z?)?/i.exec(rrule);
  if (!until) return Number.POSITIVE_INFINITY;
  const ms = Date.UTC(
    +until[1],
    +until[2] - 1,
    +until[3],
    +(until[4] ?? 23),
    +(until[5] ?? 59),
    +(until[6] ?? 59),
  );
  return Math.max(end, ms + (end - instantOf(event.start!, calendarTimeZone, 'start')));
}

/** The body of an insert as Google keeps it: read-only fields dropped. */
export function writableFields(body: FakeEvent): FakeEvent {
  const copy: Record<string, unknown> = structuredClone(body) as Record<string, unknown>;
  for (const key of READ_ONLY) delete copy[key];
  return copy as FakeEvent;
}

/**
 * Patch semantics of Google APIs: given fields replace, nested objects merge, arrays
 * replace, and null removes the field (so `extendedProperties.private.x: null`
 * deletes key `x`). Read-only fields in the patch are ignored.
 */
export function applyPatch(target: FakeEvent, patch: FakeEvent): FakeEvent {
  const merged = mergeObject(
    structuredClone(target) as Record<string, unknown>,
    writableFields(patch) as Record<string, unknown>,
  );
  return merged as FakeEvent;
}

function mergeObject(
  target: Record<string, unknown>,
  patch: Record<string, unknown>,
): Record<string, unknown> {
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) {
      delete target[key];
    } else if (isPlainObject(value) && isPlainObject(target[key])) {
      target[key] = mergeObject(target[key] as Record<string, unknown>, value);
    } else if (isPlainObject(value)) {
      target[key] = mergeObject({}, value);
    } else if (value !== undefined) {
      target[key] = structuredClone(value);
    }
  }
  return target;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Wall-clock time in `zone` → UTC ms, correct across DST changes (two passes). */
export function zonedToUtc(
  y: number,
  mo: number,
  d: number,
  h: number,
  mi: number,
  s: number,
  zone: string,
): number {
  assertTimeZone(zone);
  const wall = Date.UTC(y, mo - 1, d, h, mi, s);
  let utc = wall - offsetOf(wall, zone);
  utc = wall - offsetOf(utc, zone);
  return utc;
}

function offsetOf(utcMs: number, zone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(new Date(utcMs));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  const asUtc = Date.UTC(
    get('year'),
    get('month') - 1,
    get('day'),
    get('hour'),
    get('minute'),
    get('second'),
  );
  return asUtc - Math.floor(utcMs / 1000) * 1000;
}
