/**
 * Advoware's timestamps (`geaendertAm`, `zuletztGeaendertAm`, …). Advoware is a .NET
 * service of a German firm; .NET serialises a `DateTime` of kind Local/Unspecified
 * without an offset (`2026-12-04T14:05:00`). Whether the firm's Advoware does so is
 * *assumed*, not observed: the hub reads both forms. A time without an offset is the
 * wall-clock of Europe/Berlin, never the hub's own zone (the host may run in UTC).
 *
 * The two DST edges, decided once in `src/core/time/berlin-time.ts` (shared with the calendar):
 * - spring gap (2026-03-29 02:00–03:00 does not exist): a time in it is read one hour
 *   later, i.e. as if the clock had not been moved yet (02:30 → 03:30 CEST = 01:30Z);
 * - autumn overlap (2026-10-25 02:00–03:00 happens twice): the first, summer-time
 *   instant (02:30 → 02:30 CEST = 00:30Z). Advoware gives no hint which one it meant;
 *   the earlier one makes a change look older, never newer than it is, so the hub
 *   never overwrites EspoCRM on a guess by an hour.
 */

import { berlinOffsetMs, berlinWallToUtc } from '../../core/time/berlin-time.js';

const ADVOWARE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,7})?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i;

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
  if (!zone) return berlinWallToUtc(wall);
  if (zone.toUpperCase() === 'Z') return wall;
  const sign = zone.startsWith('-') ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  const offsetMs = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4))) * 60_000;
  return wall - offsetMs;
}

/** Berlin wall-clock `YYYY-MM-DDTHH:mm:ss` without offset: how a zone-less Advoware writes `ms`. */
export function advowareLocalTime(ms: number): string {
  const local = new Date(Math.floor(ms / 1000) * 1000 + berlinOffsetMs(ms));
  return local.toISOString().slice(0, 19);
}
