import { createHash } from 'node:crypto';
import type { AdvowareKommunikation } from '../../integrations/advoware/advoware.types.js';

/**
 * Advoware's side of the Kommunikation sync (DOMAIN.md, "Kommunikation"): the kinds
 * the sync manages, the markers it writes into `bemerkung` as the last synced state,
 * value normalisation and the hash over the sync-relevant entries. Pure; the
 * three-way diff (kommunikation.diff.ts) is built on these.
 */

export type KommKind = 'email' | 'phone';

/** kommKz of Advoware's communication kinds the sync manages (others, e.g. 5 Internet, are left alone). */
export const KOMM_KZ = {
  phone: 1,
  fax: 2,
  mobile: 3,
  email: 4,
  phonePrivate: 6,
  faxPrivate: 7,
  emailPrivate: 8,
} as const;
const EMAIL_KZ = new Set<number>([KOMM_KZ.email, KOMM_KZ.emailPrivate]);
const PHONE_KZ = new Set<number>([
  KOMM_KZ.phone,
  KOMM_KZ.fax,
  KOMM_KZ.mobile,
  KOMM_KZ.phonePrivate,
  KOMM_KZ.faxPrivate,
]);

/** Our mapping, one table: EspoCRM phone type → kommKz (email → 4, observed: Mobile → 3). */
export function kommKzForEspo(kind: KommKind, phoneType?: string): number {
  if (kind === 'email') return KOMM_KZ.email;
  if (phoneType === 'Mobile') return KOMM_KZ.mobile;
  if (phoneType === 'Fax') return KOMM_KZ.fax;
  return KOMM_KZ.phone;
}

export function espoPhoneType(kommKz: number): string {
  switch (kommKz) {
    case KOMM_KZ.mobile:
      return 'Mobile';
    case KOMM_KZ.fax:
    case KOMM_KZ.faxPrivate:
      return 'Fax';
    case KOMM_KZ.phonePrivate:
      return 'Home';
    case KOMM_KZ.phone:
      return 'Office';
    default:
      return 'Other';
  }
}

// --- markers ---------------------------------------------------------------------

const MARKER = /^\[ESPOCRM:([A-Za-z0-9+/=]*):(\d+)\]\s?/;
const SLOT = /^\[ESPOCRM-SLOT:(\d+)\]\s?/;

export function marker(value: string, kommKz: number): string {
  return `[ESPOCRM:${Buffer.from(value, 'utf8').toString('base64')}:${kommKz}]`;
}

export function slotMarker(kommKz: number): string {
  return `[ESPOCRM-SLOT:${kommKz}]`;
}

export type ParsedBemerkung =
  | { type: 'marked'; value: string; kommKz: number; userText: string }
  | { type: 'slot'; kommKz: number; userText: string }
  | { type: 'none'; userText: string };

export function parseBemerkung(bemerkung: string | null | undefined): ParsedBemerkung {
  const b = bemerkung ?? '';
  const m = MARKER.exec(b);
  if (m) {
    return {
      type: 'marked',
      value: Buffer.from(m[1], 'base64').toString('utf8'),
      kommKz: Number(m[2]),
      userText: b.slice(m[0].length),
    };
  }
  const s = SLOT.exec(b);
  if (s) return { type: 'slot', kommKz: Number(s[1]), userText: b.slice(s[0].length) };
  return { type: 'none', userText: b };
}

export function withUserText(prefix: string, userText: string): string {
  return userText ? `${prefix} ${userText}` : prefix;
}

// --- values ----------------------------------------------------------------------

export function kindOfKz(kz: number): KommKind | undefined {
  if (EMAIL_KZ.has(kz)) return 'email';
  if (PHONE_KZ.has(kz)) return 'phone';
  return undefined;
}

/** GET sometimes reports kommKz 0: then the value itself tells the kind. */
export function inferKz(value: string): number {
  return value.includes('@') ? KOMM_KZ.email : KOMM_KZ.phone;
}

export function norm(value: string): string {
  const t = value.trim();
  return t.includes('@') ? t.toLowerCase() : t;
}

/**
 * The sync-relevant entries: marked ones, slots, and unmarked entries of a managed
 * kind (a past failure: a hash over irrelevant entries caused endless rewrites).
 */
export function isSyncRelevant(entry: AdvowareKommunikation): boolean {
  const parsed = parseBemerkung(entry.bemerkung);
  if (parsed.type !== 'none') return true;
  if ((entry.tlf ?? '').trim() === '') return false;
  return entry.kommKz === 0 || kindOfKz(entry.kommKz) !== undefined;
}

/** First 16 hex chars of MD5 over the sorted rowIds of the sync-relevant entries (joined by `,`). */
export function kommunikationHash(entries: AdvowareKommunikation[]): string {
  const rowIds = entries
    .filter(isSyncRelevant)
    .map((e) => e.rowId ?? `id:${e.id}`)
    .sort();
  return createHash('md5').update(rowIds.join(',')).digest('hex').slice(0, 16);
}
