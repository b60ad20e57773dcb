/**
 * Advoware's timestamps (`geaendertAm`, `zuletztGeaendertAm`, …). Advoware is a .NET
 * service of a German firm; .NET serialises a `DateTime` of kind Local/Unspecified
 * without an offset (`2026-12-04T14:05:00`). Whether the firm's Advoware does so is
 * *assumed*, not observed: the hub reads both forms. A time without an offset is the
 * wall-clock of Europe/Berlin, never the hub's own zone (the host may run in UTC).
 *
 * The two DST edges, decided once here (the calendar's berlin-time.ts decides the same):
 * - spring gap (2026-03-29 02:00–03:00 does not exist): a time in it is read one hour
 *   later, i.e. as if the clock had not been moved yet (02:30 → 03:30 CEST = 01:30Z);
 * - autumn overlap (2026-10-25 02:00–03:00 happens twice): the first, summer-time
 *   instant (02:30 → 02:30 CEST = 00:30Z). Advoware gives no hint which one it meant;
 *   the earlier one makes a change look older, never newer than it is, so the hub
 *   never overwrites EspoCRM on a guess by an hour.
 */

const ZONE = 'Europe/Berlin';

const ADVOWARE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,7})?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i;

const berlinParts = new Intl.DateTimeFormat('en-US', {
  timeZone: ZONE,
  hourCycle: 'h23',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});

/** Berlin's offset from UTC at that instant in ms (+1 h winter, +2 h summer). */
function berlinOffsetAt(utcMs: number): number {
  const parts = berlinParts.formatToParts(new Date(utcMs));
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

/** The instant of a Berlin wall-clock time given as "UTC fields" (`wallMs`); DST edges as above. */
export function berlinWallClockToUtc(wallMs: number): number {
  // Offsets in force 3 h before and after cover both sides of any change.
  const before = berlinOffsetAt(wallMs - 3 * 3600_000);
  const after = berlinOffsetAt(wallMs + 3 * 3600_000);
  const candidates = [wallMs - before, wallMs - after].filter(
    (utc) => berlinOffsetAt(utc) === wallMs - utc,
  );
  // Overlap: both are valid, the earlier (summer-time) one wins.
  if (candidates.length > 0) return Math.min(...candidates);
  // Gap: neither is; reading with the offset before the change moves the time forward.
  return wallMs - before;
}

/**
 * An Advoware time as epoch ms: with `Z`/offset as given, without as Berlin wall-clock;
 * a bare date is Berlin midnight. `undefined` for empty or unreadable values (the
 * callers treat "no time" as unknown, not as an error).
 */
export function parseAdvowareTime(value: unknown): number | undefined {
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  const m = ADVOWARE_TIME.exec(value.trim());
  if (!m) return undefined;
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', zone] = m;
  const ms = frac ? Math.floor(Number(`0${frac}`) * 1000) : 0;
  const wall = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), ms);
  const check = new Date(wall);
  if (
    check.getUTCMonth() !== Number(mo) - 1 ||
    check.getUTCDate() !== Number(d) ||
    Number(h) > 23 ||
    Number(mi) > 59 ||
    Number(s) > 59
  )
    return undefined;
  if (!zone) return berlinWallClockToUtc(wall);
  if (zone.toUpperCase() === 'Z') return wall;
  const sign = zone.startsWith('-') ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  const offsetMs = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4))) * 60_000;
  return wall - offsetMs;
}

/** Berlin wall-clock `YYYY-MM-DDTHH:mm:ss` without offset: how a zone-less Advoware writes `ms`. */
export function advowareLocalTime(ms: number): string {
  const local = new Date(Math.floor(ms / 1000) * 1000 + berlinOffsetAt(ms));
  return local.toISOString().slice(0, 19);
}
