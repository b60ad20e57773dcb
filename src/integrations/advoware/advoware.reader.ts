import { PermanentUpstreamError } from '../../core/errors/upstream.errors.js';
import {
  ADVOWARE_FIELDS,
  ADVOWARE_FIELD_ALIASES,
  ADVOWARE_ID_FIELD,
  type AdvowareRecordKind,
} from './advoware.fields.js';
import type {
  AdvowareAdresse,
  AdvowareBankverbindung,
  AdvowareBeteiligte,
  AdvowareKommunikation,
  AdvowareMitarbeiter,
  AdvowareTermin,
} from './advoware.types.js';

/**
 * The one tolerant read of Advoware answers: keys in any casing (`betnr`, `BetNr`)
 * and the aliases of advoware.fields.ts become the documented names; the number
 * that identifies a record must be usable, or the answer is refused with the field
 * named (permanent: the same answer comes again, and a request to `…/undefined/…`
 * must never be sent).
 */
export class AdvowareShapeError extends PermanentUpstreamError {}

const canonicalNames = new Map<AdvowareRecordKind, Map<string, string>>(
  (Object.keys(ADVOWARE_FIELDS) as AdvowareRecordKind[]).map((kind) => [
    kind,
    new Map(Object.keys(ADVOWARE_FIELDS[kind]).map((f) => [f.toLowerCase(), f])),
  ]),
);
const aliasNames = new Map<AdvowareRecordKind, Map<string, string>>(
  (Object.keys(ADVOWARE_FIELDS) as AdvowareRecordKind[]).map((kind) => [
    kind,
    new Map(
      Object.entries(ADVOWARE_FIELD_ALIASES[kind] ?? {}).map(([a, f]) => [a.toLowerCase(), f]),
    ),
  ]),
);

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An answer that is a JSON object (not an array, not the bytes of a binary answer). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return (
    typeof value === 'object' && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value)
  );
}

/** A write's answer, names made documented; nothing required of it (the syncs read again). */
export function tolerant<T>(kind: AdvowareRecordKind, data: unknown): T {
  return (isRecord(data) ? canonicalRecord(kind, data) : data) as T;
}

/**
 * Keys renamed to the documented spelling. When several keys name one field, the
 * documented spelling wins over another casing, and that over an alias; unknown keys
 * pass through unchanged.
 */
export function canonicalRecord(
  kind: AdvowareRecordKind,
  raw: Record<string, unknown>,
): Record<string, unknown> {
  const names = canonicalNames.get(kind)!;
  const aliases = aliasNames.get(kind)!;
  const out: Record<string, unknown> = {};
  // Rank per field: 3 documented spelling, 2 other casing, 1 alias.
  const rank = new Map<string, number>();
  const put = (field: string, value: unknown, r: number) => {
    if ((rank.get(field) ?? 0) >= r) return;
    rank.set(field, r);
    out[field] = value;
  };
  for (const [key, value] of Object.entries(raw)) {
    const lower = key.toLowerCase();
    const canonical = names.get(lower);
    if (canonical !== undefined) put(canonical, value, canonical === key ? 3 : 2);
    else if (aliases.has(lower)) put(aliases.get(lower)!, value, 1);
    else out[key] = value;
  }
  return out;
}

/** A positive integer, also from a numeric string; anything else is not a record number. */
export function usableNumber(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value > 0) return value;
  if (typeof value === 'string' && /^\d{1,15}$/.test(value.trim()) && Number(value) > 0)
    return Number(value);
  return undefined;
}

/** A record of `kind` with documented names and a usable id; `where` names the call for the error. */
export function readRecord<T>(kind: AdvowareRecordKind, raw: unknown, where: string): T {
  if (!isObject(raw)) {
    throw new AdvowareShapeError(
      'advoware',
      `Advoware answered ${where} with ${raw === null || raw === undefined || raw === '' ? 'no record' : `a ${Array.isArray(raw) ? 'list' : typeof raw}`} where a ${kind} record was expected`,
      { body: raw },
    );
  }
  const record = canonicalRecord(kind, raw);
  const idField = ADVOWARE_ID_FIELD[kind];
  if (idField) {
    const id = usableNumber(record[idField]);
    if (id === undefined) {
      throw new AdvowareShapeError(
        'advoware',
        `Advoware answered ${where} with a ${kind} record without a usable "${idField}" ` +
          `(got ${JSON.stringify(record[idField] ?? null)}; fields: ${Object.keys(raw).slice(0, 20).join(', ') || 'none'})`,
        { body: raw },
      );
    }
    record[idField] = id;
  }
  return record as T;
}

/** A list answer: a bare array, one record, nothing, or a page `{data, total}`. */
export function readList<T>(kind: AdvowareRecordKind, raw: unknown, where: string): T[] {
  return readPage(raw).items.map((item) => readRecord<T>(kind, item, where));
}

export interface AdvowarePage {
  items: unknown[];
  /** Only when the answer was `{data, total}`. */
  total?: number;
}

/**
 * A page as either a bare array (the party lists, observed) or `{data: [...], total}`
 * (the previous system's `employees`, observed), `data`/`total` in any casing.
 */
export function readPage(raw: unknown): AdvowarePage {
  if (Array.isArray(raw)) return { items: raw };
  if (raw === null || raw === undefined || raw === '') return { items: [] };
  if (isObject(raw)) {
    const keys = new Map(Object.keys(raw).map((k) => [k.toLowerCase(), k]));
    const dataKey = keys.get('data');
    if (dataKey !== undefined && (Array.isArray(raw[dataKey]) || raw[dataKey] === null)) {
      const totalKey = keys.get('total');
      const total = totalKey === undefined ? undefined : Number(raw[totalKey]);
      return {
        items: (raw[dataKey] as unknown[] | null) ?? [],
        total: total !== undefined && Number.isFinite(total) ? total : undefined,
      };
    }
  }
  // Some Advoware endpoints answer a one-element list as the element itself (observed).
  return { items: [raw] };
}

export const readBeteiligte = (raw: unknown, where: string): AdvowareBeteiligte => {
  // A single party sometimes comes as a one-element list (observed).
  const one = Array.isArray(raw) && raw.length === 1 ? raw[0] : raw;
  const party = readRecord<AdvowareBeteiligte>('beteiligte', one, where);
  // Embedded lists: read like their own endpoints, or dropped when not a list at all.
  const embedded = (field: 'kommunikation' | 'adressen' | 'bankverbindungen') => {
    const value: unknown = party[field];
    if (value === undefined) return;
    if (!Array.isArray(value)) {
      delete party[field];
      return;
    }
    const kind =
      field === 'kommunikation'
        ? 'kommunikation'
        : field === 'adressen'
          ? 'adresse'
          : 'bankverbindung';
    (party as Record<string, unknown>)[field] = value.map((v) =>
      readRecord(kind, v, `${where} (${field})`),
    );
  };
  embedded('kommunikation');
  embedded('adressen');
  embedded('bankverbindungen');
  return party;
};

export const readKommunikation = (raw: unknown, where: string) =>
  readRecord<AdvowareKommunikation>('kommunikation', raw, where);
export const readAdresse = (raw: unknown, where: string) =>
  readRecord<AdvowareAdresse>('adresse', raw, where);
export const readBankverbindung = (raw: unknown, where: string) =>
  readRecord<AdvowareBankverbindung>('bankverbindung', raw, where);
export const readTermin = (raw: unknown, where: string) =>
  readRecord<AdvowareTermin>('termin', raw, where);
export const readMitarbeiter = (raw: unknown, where: string) =>
  readRecord<AdvowareMitarbeiter>('mitarbeiter', raw, where);
