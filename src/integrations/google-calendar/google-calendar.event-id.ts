import { ValidationError } from '../../core/errors/upstream.errors.js';

/**
 * Google accepts client-chosen event ids of base32hex characters (a-v, 0-9), 5 to
 * 1024 long. Deriving the id from the Advoware `frNr` makes every create idempotent:
 * a retried insert answers 409 instead of producing a duplicate event.
 */
const EVENT_ID = /^[a-v0-9]{5,1024}$/;
const PREFIX = 'adv0';

export function isValidEventId(id: string): boolean {
  return EVENT_ID.test(id);
}

/** `adv0` + the decimal frNr without leading zeros, e.g. 4711 → `adv04711`. */
export function eventIdFromFrNr(frNr: number | string): string {
  const digits = typeof frNr === 'number' ? numberDigits(frNr) : String(frNr).trim();
  if (!/^[0-9]+$/.test(digits))
    throw new ValidationError(`frNr ${String(frNr)} is not a non-negative integer`);
  return `${PREFIX}${digits.replace(/^0+(?=[0-9])/, '')}`;
}

/** The frNr an event id was derived from, or undefined for events created in Google. */
export function frNrFromEventId(id: string): string | undefined {
  const m = /^adv0([0-9]+)$/.exec(id);
  if (!m) return undefined;
  return m[1].replace(/^0+(?=[0-9])/, '');
}

function numberDigits(n: number): string {
  if (!Number.isSafeInteger(n) || n < 0)
    throw new ValidationError(`frNr ${n} is not a non-negative integer`);
  return String(n);
}
