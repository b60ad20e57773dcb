/**
 * IBAN and BIC checks before anything is sent to Advoware (DOMAIN.md: an invalid
 * account is `failed` with the reason, never retried). Pure; no I/O.
 */

/** IBAN length per country, from the SWIFT IBAN registry. */
// prettier-ignore
const IBAN_LENGTHS: Readonly<Record<string, number>> = {
  AD: 24, AE: 23, AL: 28, AT: 20, AZ: 28, BA: 20, BE: 16, BG: 22, BH: 22, BI: 27,
  BR: 29, BY: 28, CH: 21, CR: 22, CY: 28, CZ: 24, DE: 22, DJ: 27, DK: 18, DO: 28,
  EE: 20, EG: 29, ES: 24, FI: 18, FK: 18, FO: 18, FR: 27, GB: 22, GE: 22, GI: 23,
  GL: 18, GR: 27, GT: 28, HN: 28, HR: 21, HU: 28, IE: 22, IL: 23, IQ: 23, IS: 26,
  IT: 27, JO: 30, KW: 30, KZ: 20, LB: 28, LC: 32, LI: 21, LT: 20, LU: 20, LV: 21,
  LY: 25, MC: 27, MD: 24, ME: 22, MK: 19, MN: 20, MR: 27, MT: 31, MU: 30, NI: 28,
  NL: 18, NO: 15, OM: 23, PK: 24, PL: 28, PS: 29, PT: 25, QA: 29, RO: 24, RS: 22,
  RU: 33, SA: 24, SC: 31, SD: 18, SE: 24, SI: 19, SK: 24, SM: 27, SO: 23, ST: 25,
  SV: 28, TL: 23, TN: 24, TR: 26, UA: 29, VA: 22, VG: 24, XK: 20, YE: 30,
};

export type IbanProblem = 'missing' | 'format' | 'country' | 'length' | 'checksum';
export type BicProblem = 'format';

export type Check<P> = { ok: true; value: string } | { ok: false; problem: P; message: string };

/** How people type IBANs and BICs (`de89 3704 0044 …`) to the machine form. */
export function normalizeIban(raw: string | null | undefined): string {
  return (raw ?? '').replace(/[\s-]+/g, '').toUpperCase();
}

export function normalizeBic(raw: string | null | undefined): string {
  return (raw ?? '').replace(/\s+/g, '').toUpperCase();
}

/** ISO 13616 mod-97 over the rearranged IBAN, digit by digit so no big integers are needed. */
function mod97(iban: string): number {
  const rearranged = iban.slice(4) + iban.slice(0, 4);
  let rest = 0;
  for (const ch of rearranged) {
    const code = ch.charCodeAt(0);
    const digits = code >= 65 ? String(code - 55) : ch;
    for (const d of digits) rest = (rest * 10 + Number(d)) % 97;
  }
  return rest;
}

export function checkIban(raw: string | null | undefined): Check<IbanProblem> {
  const iban = normalizeIban(raw);
  if (iban === '') return { ok: false, problem: 'missing', message: 'IBAN fehlt' };
  if (!/^[A-Z]{2}[0-9]{2}[A-Z0-9]+$/.test(iban)) {
    return { ok: false, problem: 'format', message: `IBAN ${iban} hat kein gültiges Format` };
  }
  const country = iban.slice(0, 2);
  const expected = IBAN_LENGTHS[country];
  if (expected === undefined) {
    return {
      ok: false,
      problem: 'country',
      message: `IBAN ${iban}: unbekanntes Länderkennzeichen ${country}`,
    };
  }
  if (iban.length !== expected) {
    return {
      ok: false,
      problem: 'length',
      message: `IBAN ${iban} hat ${iban.length} Stellen, für ${country} sind ${expected} vorgeschrieben`,
    };
  }
  if (mod97(iban) !== 1) {
    return { ok: false, problem: 'checksum', message: `IBAN ${iban}: Prüfsumme ungültig` };
  }
  return { ok: true, value: iban };
}

/**
 * ISO 9362: 4 letters bank, 2 letters country, 2 letters/digits location, optional
 * 3 letters/digits branch. An empty BIC is valid (IBAN-only transfers within SEPA) and
 * normalizes to ''.
 */
export function checkBic(raw: string | null | undefined): Check<BicProblem> {
  const bic = normalizeBic(raw);
  if (bic === '') return { ok: true, value: '' };
  if (!/^[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?$/.test(bic)) {
    return {
      ok: false,
      problem: 'format',
      message: `BIC ${bic} ungültig: 8 oder 11 Zeichen (Bank, Land, Ort, optional Filiale) erwartet`,
    };
  }
  return { ok: true, value: bic };
}
