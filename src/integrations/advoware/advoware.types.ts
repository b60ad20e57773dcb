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

export interface AdvowareBeteiligte {
  betnr: number;
  /** Opaque; changes on every write in Advoware, the hub's change detector. */
  rowId?: string;
  geaendertAm?: string;
  name?: string;
  vorname?: string;
  rechtsform?: string;
  anrede?: string;
  titel?: string;
  geburtsdatum?: string | null;
  handelsRegisterNummer?: string | null;
  registergericht?: string | null;
  /** Our contract (unverified): the EspoCRM id, so a retried create finds the party. */
  externeId?: string | null;
  [field: string]: unknown;
}

export type AdvowareBeteiligteInput = Omit<
  Partial<AdvowareBeteiligte>,
  'betnr' | 'rowId' | 'geaendertAm'
>;

export interface AdvowareKommunikation {
  id: number;
  rowId?: string;
  /** Kind: 1 phone, 2 fax, 3 mobile, 4 business email, ... Cannot change by PUT; GET sometimes reports 0. */
  kommKz: number;
  kommArt?: number;
  tlf: string;
  bemerkung?: string | null;
  online?: boolean;
}

export type AdvowareKommunikationInput = Omit<Partial<AdvowareKommunikation>, 'id' | 'rowId'>;

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
