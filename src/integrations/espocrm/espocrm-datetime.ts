/**
 * EspoCRM writes and expects datetimes as UTC `YYYY-MM-DD HH:mm:ss` (no zone, no
 * milliseconds); comparing those strings compares the instants.
 */
export function espoDateTime(date: Date): string {
  if (Number.isNaN(date.getTime())) throw new RangeError('espoDateTime: invalid date');
  return date.toISOString().slice(0, 19).replace('T', ' ');
}

const ESPO_DATETIME = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?Z?$/;

/**
 * Reads an EspoCRM datetime (or date) as UTC. Also takes the ISO form with `T`/`Z`
 * and a bare date (midnight UTC), because date-only fields come back that way.
 */
export function parseEspoDateTime(value: string): Date {
  const m = ESPO_DATETIME.exec(value.trim());
  if (!m)
    throw new RangeError(`parseEspoDateTime: not an EspoCRM datetime: ${JSON.stringify(value)}`);
  const [, y, mo, d, h = '0', mi = '0', s = '0'] = m;
  const date = new Date(
    Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)),
  );
  // Date.UTC rolls 2024-02-31 over into March; a field holding that is corrupt, not a date.
  if (
    date.getUTCMonth() !== Number(mo) - 1 ||
    date.getUTCDate() !== Number(d) ||
    Number(h) > 23 ||
    Number(mi) > 59 ||
    Number(s) > 59
  ) {
    throw new RangeError(`parseEspoDateTime: impossible date: ${JSON.stringify(value)}`);
  }
  return date;
}
