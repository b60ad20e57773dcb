import type {
  AdvowareBankverbindung,
  AdvowareBankverbindungInput,
} from '../../integrations/advoware/advoware.types.js';
import type { CBankverbindungen } from '../../integrations/espocrm/espocrm.types.js';
import { checkBic, checkIban, normalizeBic, normalizeIban } from './iban.js';

/**
 * EspoCRM CBankverbindungen ↔ Advoware Bankverbindung. The Advoware field names are our
 * contract (unverified, DOMAIN.md), read and written only here.
 *
 * The Advoware side carries the reference back to EspoCRM as a marker at the start of
 * `bemerkung` (`[ESPOCRM:<id>]`, then the user's own text), as the Adressen sync
 * does: a create whose answer was lost finds its account again instead of making a
 * second one, and a delete can find it after the EspoCRM record is gone.
 */

const MARKER = /^\s*\[ESPOCRM:([A-Za-z0-9_-]{1,64})\]\s?/;

export function espoMarker(espoId: string): string {
  return `[ESPOCRM:${espoId}]`;
}

/** The EspoCRM id an Advoware account carries, if it has a marker. */
export function espoIdOf(bemerkung: string | null | undefined): string | undefined {
  return MARKER.exec(bemerkung ?? '')?.[1];
}

/** Our marker in front of whatever the user wrote (an old marker is replaced, not repeated). */
export function withMarker(espoId: string, bemerkung: string | null | undefined): string {
  const own = (bemerkung ?? '').replace(MARKER, '').trim();
  return own === '' ? espoMarker(espoId) : `${espoMarker(espoId)} ${own}`;
}

export type AccountValidation =
  { ok: true; iban: string; bic: string } | { ok: false; message: string };

/** Before any Advoware call: an account that can never be accepted is not sent. */
export function validateAccount(account: CBankverbindungen): AccountValidation {
  const iban = checkIban(account.iban);
  if (!iban.ok) return { ok: false, message: iban.message };
  const bic = checkBic(account.bic);
  if (!bic.ok) return { ok: false, message: bic.message };
  return { ok: true, iban: iban.value, bic: bic.value };
}

/**
 * The party's one standard account: of the active accounts flagged `istStandard`, the
 * most recently modified (then the most recently created, then the higher id, so the
 * choice is the same on every run). The others are sent as not standard.
 */
export function selectStandardAccount(accounts: CBankverbindungen[]): string | undefined {
  const key = (a: CBankverbindungen) => [a.modifiedAt ?? '', a.createdAt ?? '', a.id];
  const flagged = accounts.filter((a) => a.istStandard === true && a.istAktiv !== false);
  flagged.sort((a, b) => {
    const [ka, kb] = [key(a), key(b)];
    for (let i = 0; i < ka.length; i++) {
      if (ka[i] !== kb[i]) return ka[i] < kb[i] ? 1 : -1;
    }
    return 0;
  });
  return flagged[0]?.id;
}

/** What Advoware should hold for this account; `current` keeps the user's own `bemerkung` text. */
export function toAdvowareBankverbindung(
  account: CBankverbindungen,
  valid: { iban: string; bic: string },
  isStandard: boolean,
  current?: AdvowareBankverbindung,
): AdvowareBankverbindungInput {
  return {
    iban: valid.iban,
    bic: valid.bic === '' ? null : valid.bic,
    kontoinhaber: text(account.kontoinhaber),
    bankname: text(account.bankname),
    istStandard: isStandard,
    bemerkung: withMarker(account.id, current?.bemerkung),
  };
}

const COMPARED = ['iban', 'bic', 'kontoinhaber', 'bankname', 'istStandard', 'bemerkung'] as const;

/** The mapped fields in which Advoware differs from what it should hold (empty: no write). */
export function changedFields(
  desired: AdvowareBankverbindungInput,
  current: AdvowareBankverbindung,
): string[] {
  const norm: Record<(typeof COMPARED)[number], (v: unknown) => unknown> = {
    iban: (v) => normalizeIban(v as string | null),
    bic: (v) => normalizeBic(v as string | null),
    kontoinhaber: (v) => text(v),
    bankname: (v) => text(v),
    istStandard: (v) => v === true,
    bemerkung: (v) => text(v),
  };
  return COMPARED.filter((f) => norm[f](desired[f]) !== norm[f](current[f]));
}

export type AdvowareMatchKind = 'konto_id' | 'marker' | 'unmarked_iban';

/**
 * The Advoware account that is this EspoCRM account: by the stored `advowareKontoId`,
 * else by our marker, else (first sync of an account typed into both systems) an
 * unmarked account with the same IBAN, which is adopted rather than duplicated.
 */
export function findCounterpart(
  account: CBankverbindungen,
  iban: string,
  list: AdvowareBankverbindung[],
): { entry: AdvowareBankverbindung; by: AdvowareMatchKind } | undefined {
  const kontoId = account.advowareKontoId;
  if (kontoId !== null && kontoId !== undefined) {
    const byId = list.find((e) => Number(e.id) === Number(kontoId));
    if (byId && [undefined, account.id].includes(espoIdOf(byId.bemerkung))) {
      return { entry: byId, by: 'konto_id' };
    }
  }
  const byMarker = list.find((e) => espoIdOf(e.bemerkung) === account.id);
  if (byMarker) return { entry: byMarker, by: 'marker' };
  if (kontoId !== null && kontoId !== undefined) return undefined;
  const byIban = list.find(
    (e) => espoIdOf(e.bemerkung) === undefined && normalizeIban(e.iban) === iban,
  );
  return byIban ? { entry: byIban, by: 'unmarked_iban' } : undefined;
}

export type BankverbindungDecision =
  | { action: 'create'; data: AdvowareBankverbindungInput }
  | {
      action: 'update';
      kontoId: number;
      by: AdvowareMatchKind;
      data: AdvowareBankverbindungInput;
      changed: string[];
    }
  | { action: 'no_change'; kontoId: number; by: AdvowareMatchKind }
  /** The stored Advoware account is gone: never recreated silently, a person decides. */
  | { action: 'missing_in_advoware'; kontoId: number };

export function decideBankverbindungSync(
  account: CBankverbindungen,
  valid: { iban: string; bic: string },
  isStandard: boolean,
  advoware: AdvowareBankverbindung[],
): BankverbindungDecision {
  const match = findCounterpart(account, valid.iban, advoware);
  if (!match) {
    if (account.advowareKontoId !== null && account.advowareKontoId !== undefined) {
      return { action: 'missing_in_advoware', kontoId: Number(account.advowareKontoId) };
    }
    return { action: 'create', data: toAdvowareBankverbindung(account, valid, isStandard) };
  }
  const data = toAdvowareBankverbindung(account, valid, isStandard, match.entry);
  const changed = changedFields(data, match.entry);
  const kontoId = Number(match.entry.id);
  return changed.length === 0
    ? { action: 'no_change', kontoId, by: match.by }
    : { action: 'update', kontoId, by: match.by, data, changed };
}

/**
 * Other synced accounts of the party whose Advoware standard flag no longer fits the
 * standard selection (e.g. the old standard after a new one was flagged); each needs
 * its own sync run.
 */
export function standardCorrections(
  accounts: CBankverbindungen[],
  advoware: AdvowareBankverbindung[],
  exceptId: string,
): string[] {
  const winner = selectStandardAccount(accounts);
  return accounts
    .filter(
      (a) => a.id !== exceptId && a.advowareKontoId !== null && a.advowareKontoId !== undefined,
    )
    .filter((a) => {
      const entry = advoware.find((e) => Number(e.id) === Number(a.advowareKontoId));
      return entry !== undefined && (entry.istStandard === true) !== (a.id === winner);
    })
    .map((a) => a.id);
}

/** Where a synced account lives in Advoware; kept so a delete can find it after the record is gone. */
export interface BankverbindungLocation {
  beteiligteId: string;
  betnr: number;
  kontoId: number;
  iban: string;
}

/** A Task asks a person to do what the Advoware API refuses; its name is the dedupe key. */
export interface TaskText {
  name: string;
  description: string;
}

export function deleteRefusedTask(
  loc: BankverbindungLocation,
  espoId: string,
  reason: string,
): TaskText {
  return {
    name: `Advoware: Bankverbindung ${loc.kontoId} von Beteiligtem ${loc.betnr} löschen`,
    description:
      `Die Bankverbindung (IBAN ${loc.iban}) wurde in EspoCRM gelöscht (CBankverbindungen ${espoId}). ` +
      `Advoware hat das Löschen über die API abgelehnt (${reason}). ` +
      `Bitte in Advoware bei Beteiligtem ${loc.betnr} die Bankverbindung ${loc.kontoId} von Hand löschen.`,
  };
}

export function writeRefusedTask(
  operation: 'create' | 'update',
  iban: string,
  betnr: number,
  reason: string,
): TaskText {
  const verb = operation === 'create' ? 'anlegen' : 'ändern';
  return {
    name: `Advoware: Bankverbindung ${iban} bei Beteiligtem ${betnr} ${verb}`,
    description:
      `Advoware hat das ${operation === 'create' ? 'Anlegen' : 'Ändern'} der Bankverbindung über die API ` +
      `abgelehnt (${reason}). Bitte in Advoware bei Beteiligtem ${betnr} von Hand ${verb} ` +
      'oder die Berechtigung des Hub-Benutzers prüfen.',
  };
}

export function missingInAdvowareTask(kontoId: number, betnr: number, iban: string): TaskText {
  return {
    name: `Advoware: Bankverbindung ${kontoId} bei Beteiligtem ${betnr} fehlt`,
    description:
      `Die mit dieser Bankverbindung (IBAN ${iban}) verknüpfte Advoware-Bankverbindung ${kontoId} ` +
      `gibt es bei Beteiligtem ${betnr} nicht mehr. Der Hub legt sie nicht ungefragt neu an: ` +
      'bitte prüfen und entweder in Advoware neu anlegen oder das Feld advowareKontoId leeren, ' +
      'damit der Hub sie neu anlegt.',
  };
}

function text(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const t = value.trim();
  return t === '' ? null : t;
}
