/**
 * Advoware keeps wall-clock times of Europe/Berlin without an offset. These helpers
 * turn them into instants and back with `Intl` alone (no time-zone package), correct
 * on both DST changes. The one place the hub decides the DST edges: the calendar sync
 * and the Advoware reader (`advoware-time.ts`) both use it.
 */
export const BERLIN = 'Europe/Berlin';

export interface WallClock {
  /** `YYYY-MM-DD` */
  date: string;
  /** `HH:mm:ss` */
  time: string;
}

const formatter = new Intl.DateTimeFormat('en-US', {
  timeZone: BERLIN,
  hourCycle: 'h23',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});

/** Offset of Berlin from UTC at that instant, in ms (+1 h in winter, +2 h in summer). */
export function berlinOffsetMs(utcMs: number): number {
  const parts = formatter.formatToParts(new Date(utcMs));
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

/**
 * The instant of a Berlin wall-clock time. A time inside the spring gap (02:30 on
 * the last Sunday of March) does not exist; it comes out one hour later, as most
 * calendars do. A time in the autumn overlap takes the first (summer-time) instant.
 */
export function berlinToUtc(date: string, time: string): number {
  const [y, mo, d] = date.split('-').map(Number);
  const [h, mi, s] = time.split(':').map(Number);
  return berlinWallToUtc(Date.UTC(y, mo - 1, d, h, mi, s || 0));
}

/**
 * The same for a wall-clock time given as "UTC fields" in ms (`Date.UTC(...)` of the
 * Berlin date and time), with the same choices on both DST edges.
 */
export function berlinWallToUtc(wall: number): number {
  const first = wall - berlinOffsetMs(wall - 2 * 3600_000);
  if (berlinOffsetMs(first) === wall - first) return first;
  const second = wall - berlinOffsetMs(wall);
  return berlinOffsetMs(second) === wall - second ? second : first;
}

export function utcToBerlin(utcMs: number): WallClock {
  const local = new Date(utcMs + berlinOffsetMs(utcMs));
  const iso = local.toISOString();
  return { date: iso.slice(0, 10), time: iso.slice(11, 19) };
}

/** RFC 3339 with Berlin's offset at that instant, e.g. `2025-03-30T10:00:00+02:00`. */
export function berlinRfc3339(utcMs: number): string {
  const { date, time } = utcToBerlin(utcMs);
  const offsetMin = berlinOffsetMs(utcMs) / 60_000;
  const sign = offsetMin < 0 ? '-' : '+';
  const abs = Math.abs(offsetMin);
  return `${date}T${time}${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

export function addDays(date: string, days: number): string {
  const [y, mo, d] = date.split('-').map(Number);
  return new Date(Date.UTC(y, mo - 1, d + days)).toISOString().slice(0, 10);
}

/** `2025-03-30T10:00:00Z`, seconds precision: one spelling per instant for hashing. */
export function utcIso(utcMs: number): string {
  return new Date(Math.floor(utcMs / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}
