import type {
  AdvowareBeteiligte,
  AdvowareBeteiligteInput,
} from '../../integrations/advoware/advoware.types.js';
import type { CBeteiligte } from '../../integrations/espocrm/espocrm.types.js';

/**
 * The one place that knows which EspoCRM field is which Advoware field (master data
 * only; Kommunikation and Adressen have their own mappers). A person is split into
 * `vorname`/`name`, a company keeps its display name in `name`.
 */
/** The EspoCRM entity of a party. */
export const ENTITY = 'CBeteiligte';

export const NATURAL_PERSON = 'Natürliche Person';

/** The master data both sides share, normalised so that equal data compares equal. */
export interface MasterData {
  name: string | null;
  vorname: string | null;
  rechtsform: string | null;
  anrede: string | null;
  geburtsdatum: string | null;
  handelsRegisterNummer: string | null;
  registergericht: string | null;
}

const MASTER_FIELDS: Array<keyof MasterData> = [
  'name',
  'vorname',
  'rechtsform',
  'anrede',
  'geburtsdatum',
  'handelsRegisterNummer',
  'registergericht',
];

function text(v: unknown): string | null {
  if (typeof v !== 'string') return null;
  const t = v.trim();
  return t === '' ? null : t;
}

/** Advoware sends dates as `YYYY-MM-DDT00:00:00`, EspoCRM as `YYYY-MM-DD`. */
function dateOnly(v: unknown): string | null {
  const t = text(v);
  return t ? t.slice(0, 10) : null;
}

function isCompany(rechtsform: string | null, firstName: string | null): boolean {
  return firstName === null && rechtsform !== null && rechtsform !== NATURAL_PERSON;
}

export function espoMasterData(e: CBeteiligte): MasterData {
  const rechtsform = text(e.rechtsform);
  const firstName = text(e.firstName);
  const company = isCompany(rechtsform, firstName);
  return {
    name: company ? text(e.name) : (text(e.lastName) ?? text(e.name)),
    vorname: company ? null : firstName,
    rechtsform,
    anrede: text(e.anrede),
    geburtsdatum: dateOnly(e.geburtsdatum),
    handelsRegisterNummer: text(e.handelsregisterNummer),
    registergericht: text(e.registergericht),
  };
}

export function advowareMasterData(a: AdvowareBeteiligte): MasterData {
  return {
    name: text(a.name),
    vorname: text(a.vorname),
    rechtsform: text(a.rechtsform),
    anrede: text(a.anrede),
    geburtsdatum: dateOnly(a.geburtsdatum),
    handelsRegisterNummer: text(a.handelsRegisterNummer),
    registergericht: text(a.registergericht),
  };
}

/** Fields whose value differs; empty when both sides hold the same master data. */
export function masterDataDiff(
  espo: CBeteiligte,
  advoware: AdvowareBeteiligte,
): Array<keyof MasterData> {
  const a = espoMasterData(espo);
  const b = advowareMasterData(advoware);
  return MASTER_FIELDS.filter((f) => a[f] !== b[f]);
}

/** The body of a POST/PUT to Advoware; `externeId` lets a retried create find its party. */
export function toAdvoware(e: CBeteiligte): AdvowareBeteiligteInput {
  const m = espoMasterData(e);
  return { ...m, externeId: e.id };
}

/** The EspoCRM fields that take over Advoware's master data (only the ones that differ). */
export function toEspoPatch(espo: CBeteiligte, a: AdvowareBeteiligte): Record<string, unknown> {
  const m = advowareMasterData(a);
  const company = isCompany(m.rechtsform, m.vorname);
  const target: Record<string, unknown> = {
    rechtsform: m.rechtsform,
    anrede: m.anrede,
    geburtsdatum: m.geburtsdatum,
    handelsregisterNummer: m.handelsRegisterNummer,
    registergericht: m.registergericht,
  };
  if (company) {
    target.name = m.name;
  } else {
    target.firstName = m.vorname;
    target.lastName = m.name;
  }
  const current: Record<string, unknown> = {
    rechtsform: text(espo.rechtsform),
    anrede: text(espo.anrede),
    geburtsdatum: dateOnly(espo.geburtsdatum),
    handelsregisterNummer: text(espo.handelsregisterNummer),
    registergericht: text(espo.registergericht),
    name: text(espo.name),
    firstName: text(espo.firstName),
    lastName: text(espo.lastName),
  };
  return Object.fromEntries(Object.entries(target).filter(([k, v]) => current[k] !== v));
}
