/**
 * Advoware records as the hub reads and writes them. Field names marked
 * *observed* in DOMAIN.md are the vendor's; the rest (Bankverbindungen, the
 * `externeId` field, list shapes) is our contract and unverified against the real API.
 */

export type AdvowareMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface AdvowareRequestOptions {
  query?: URLSearchParams | Record<string, string | string[]>;
  body?: unknown;
  responseType?: 'json' | 'arraybuffer' | 'stream';
  /** Largest answer accepted (default: the Advoware client's JSON limit). */
  maxResponseBytes?: number;
  /** Metric label instead of the path template (`proxy`: the caller chose the path). */
  metricRoute?: string;
  timeoutMs?: number;
  /** In-call attempts for idempotent methods (default 3); POST is always sent once. */
  attempts?: number;
}

export interface AdvowareResponse<T> {
  status: number;
  headers: Record<string, string>;
  data: T;
}

/** The party's own fields (no index signature, so `Omit`/`Partial` keep them typed). */
export interface AdvowareBeteiligteFields {
  /** Spelled `betNr` by Advoware (observed); read in any casing by advoware.reader.ts. */
  betNr: number;
  /** Opaque; changes on every write in Advoware, the hub's change detector. */
  rowId?: string;
  /** Read with parseAdvowareTime: without an offset it is Berlin wall-clock. */
  geaendertAm?: string;
  name?: string | null;
  vorname?: string | null;
  rechtsform?: string | null;
  anrede?: string | null;
  titel?: string | null;
  geburtsdatum?: string | null;
  handelsRegisterNummer?: string | null;
  registergericht?: string | null;
  /** Our contract (assumed): the EspoCRM id, so a retried create finds the party. */
  externeId?: string | null;
}

export interface AdvowareBeteiligte extends AdvowareBeteiligteFields {
  /** Embedded in `GET Beteiligte/{betNr}` (documented); absent on some answers (POST, lists). */
  kommunikation?: AdvowareKommunikation[];
  /** Taken when a party answer carries them (assumed; never seen embedded). */
  adressen?: AdvowareAdresse[];
  bankverbindungen?: AdvowareBankverbindung[];
  [field: string]: unknown;
}

/** What the hub writes: exactly the documented names, never the number or the change stamps. */
export type AdvowareBeteiligteInput = Omit<
  Partial<AdvowareBeteiligteFields>,
  'betNr' | 'rowId' | 'geaendertAm'
>;

export interface AdvowareKommunikation {
  id: number;
  /** The party it belongs to (observed in list entries). */
  betNr?: number;
  rowId?: string;
  /** Kind: 1 phone, 2 fax, 3 mobile, 4 business email, ... Cannot change by PUT; GET sometimes reports 0. */
  kommKz: number;
  kommArt?: number;
  tlf: string;
  bemerkung?: string | null;
  online?: boolean;
}

export type AdvowareKommunikationInput = Omit<
  Partial<AdvowareKommunikation>,
  'id' | 'rowId' | 'betNr'
>;

export interface AdvowareAdresse {
  id: number;
  rowId?: string;
  strasse?: string | null;
  plz?: string | null;
  ort?: string | null;
  anschrift?: string | null;
  /** Read-only after create (PUT ignores them), as are the fields below. */
  land?: string | null;
  postfach?: string | null;
  postfachPLZ?: string | null;
  standardAnschrift?: boolean;
  bemerkung?: string | null;
  gueltigVon?: string | null;
  gueltigBis?: string | null;
  reihenfolgeIndex?: number | null;
}

export type AdvowareAdresseInput = Omit<Partial<AdvowareAdresse>, 'id' | 'rowId'>;

/** Our contract (unverified): shape of a bank account below a Beteiligte. */
export interface AdvowareBankverbindung {
  id: number;
  rowId?: string;
  iban?: string | null;
  bic?: string | null;
  kontoinhaber?: string | null;
  bankname?: string | null;
  istStandard?: boolean;
  bemerkung?: string | null;
  [field: string]: unknown;
}

export type AdvowareBankverbindungInput = Omit<Partial<AdvowareBankverbindung>, 'id' | 'rowId'>;

export interface AdvowareMitarbeiter {
  kuerzel: string;
  name?: string;
  vorname?: string;
  email?: string | null;
  aktiv?: boolean;
}

export interface AdvowareTermin {
  frNr: number;
  /** `YYYY-MM-DD` or `YYYY-MM-DDT00:00:00`; times are Europe/Berlin wall-clock. */
  datum: string;
  /** `HH:mm[:ss]`; missing means 09:00 (observed). */
  uhrzeitVon?: string | null;
  datumBis?: string | null;
  uhrzeitBis?: string | null;
  text?: string | null;
  notiz?: string | null;
  ort?: string | null;
  /** All-day appointment. */
  dauertermin?: boolean;
  turnus?: number | null;
  turnusArt?: number | null;
  kuerzel?: string;
  sachbearbeiter?: string | null;
  zuletztGeaendertAm?: string | null;
  [field: string]: unknown;
}

export type AdvowareTerminInput = Omit<Partial<AdvowareTermin>, 'frNr' | 'zuletztGeaendertAm'>;

export interface AdvowareTerminQuery {
  kuerzel: string;
  /** `YYYY-MM-DD` or a Date (its UTC date is sent). */
  from: string | Date;
  to: string | Date;
}
