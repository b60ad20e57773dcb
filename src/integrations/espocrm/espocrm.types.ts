/**
 * Shapes of the EspoCRM REST API (v1) as the hub uses it. Entity field names that are
 * not observed in the firm's previous integration are our contract (DOMAIN.md); each is
 * read in one mapper, so a correction touches one place.
 */

/** Any EspoCRM record. Datetimes are UTC `YYYY-MM-DD HH:mm:ss` (see espocrm-datetime.ts). */
export interface EspoRecord {
  id: string;
  createdAt?: string;
  modifiedAt?: string;
  [field: string]: unknown;
}

/** One item of `where`; `or`, `and` and `not` carry nested items in `value`. */
export interface EspoWhereItem {
  type: string;
  attribute?: string;
  value?: unknown;
}

export interface EspoListParams {
  where?: EspoWhereItem[];
  select?: string[];
  orderBy?: string;
  order?: 'asc' | 'desc';
  /** At most 200; EspoCRM answers 403 above that. */
  maxSize?: number;
  offset?: number;
}

export interface EspoListResult<T> {
  total: number;
  list: T[];
}

/** Largest page EspoCRM serves; a bigger `maxSize` is refused with 403. */
export const ESPO_MAX_PAGE_SIZE = 200;

export interface EspoEmailAddressData {
  emailAddress: string;
  primary: boolean;
  optOut?: boolean;
  invalid?: boolean;
}

export interface EspoPhoneNumberData {
  phoneNumber: string;
  /** EspoCRM's phone types: `Mobile`, `Office`, `Home`, `Fax`, `Other`. */
  type: string;
  primary: boolean;
  optOut?: boolean;
  invalid?: boolean;
}

/** CBeteiligte.syncStatus (observed values). */
export type BeteiligteSyncStatus =
  | 'pending_sync'
  | 'dirty'
  | 'clean'
  | 'failed'
  | 'permanently_failed'
  | 'conflict'
  | 'deleted_in_advoware';

/** A party of the firm's cases; mirrors an Advoware Beteiligte. */
export interface CBeteiligte extends EspoRecord {
  /** Display name: full name of a person, company name of a company. */
  name?: string;
  firstName?: string | null;
  lastName?: string | null;
  /** E.g. `Natürliche Person`, `GmbH`, `AG`, `e.K.`. */
  rechtsform?: string | null;
  /** E.g. `Herr`, `Frau`, `Firma`. */
  anrede?: string | null;
  /** Date only, `YYYY-MM-DD`. */
  geburtsdatum?: string | null;
  handelsregisterNummer?: string | null;
  registergericht?: string | null;
  emailAddress?: string | null;
  emailAddressData?: EspoEmailAddressData[];
  phoneNumber?: string | null;
  phoneNumberData?: EspoPhoneNumberData[];
  assignedUserId?: string | null;
  // hub-owned
  betnr?: number | null;
  advowareRowId?: string | null;
  advowareLastSync?: string | null;
  syncStatus?: BeteiligteSyncStatus | null;
  syncRetryCount?: number | null;
  syncNextRetry?: string | null;
  syncAutoResetAt?: string | null;
  syncErrorMessage?: string | null;
  kommunikationHash?: string | null;
  xaiCollectionId?: string | null;
}

/** An address of a party (our contract: hasMany `adressen` on CBeteiligte, `beteiligteId` here). */
export interface CAdressen extends EspoRecord {
  name?: string;
  strasse?: string | null;
  plz?: string | null;
  ort?: string | null;
  land?: string | null;
  anschrift?: string | null;
  istStandard?: boolean;
  beteiligteId?: string | null;
}

export type BankverbindungSyncStatus = 'clean' | 'unclean' | 'failed';

/** A bank account of a party (observed fields). */
export interface CBankverbindungen extends EspoRecord {
  name?: string;
  iban?: string | null;
  bic?: string | null;
  kontoinhaber?: string | null;
  bankname?: string | null;
  istAktiv?: boolean;
  istStandard?: boolean;
  /** belongs-to link `beteiligte`. */
  beteiligteId?: string | null;
  beteiligteName?: string | null;
  // hub-owned
  advowareKontoId?: number | null;
  advowareLastSync?: string | null;
  syncStatus?: BankverbindungSyncStatus | null;
  syncErrorMessage?: string | null;
}

export type DokumentFileStatus = 'neu' | 'geändert' | 'synced' | 'failed';

/** A document; its file is the attachment in field `dokument`. */
export interface CDokumente extends EspoRecord {
  name?: string;
  /** Attachment id of the file (field `dokument`). */
  dokumentId?: string | null;
  dokumentName?: string | null;
  description?: string | null;
  assignedUserId?: string | null;
  // hub-owned
  xaiId?: string | null;
  xaiCollections?: string[] | null;
  xaiSyncedHash?: string | null;
  fileStatus?: DokumentFileStatus | null;
  md5sum?: string | null;
  syncErrorMessage?: string | null;
}

/** An eviction case; owns an xAI collection of its documents. */
export interface CVmhRaeumungsklage extends EspoRecord {
  name?: string;
  aktenzeichen?: string | null;
  description?: string | null;
  assignedUserId?: string | null;
  // hub-owned
  xaiCollectionId?: string | null;
}

export interface EspoAccount extends EspoRecord {
  name?: string;
  assignedUserId?: string | null;
  // hub-owned
  xaiCollectionId?: string | null;
}

export interface EspoAttachment extends EspoRecord {
  name?: string;
  type?: string;
  size?: number;
  role?: string;
  relatedType?: string | null;
  relatedId?: string | null;
  field?: string | null;
}

/** EspoCRM's Task statuses; `Completed` and `Canceled` count as closed. */
export type EspoTaskStatus = 'Not Started' | 'Started' | 'Completed' | 'Canceled' | 'Deferred';

export interface EspoTask extends EspoRecord {
  name: string;
  status?: EspoTaskStatus | string;
  priority?: string;
  description?: string | null;
  parentType?: string | null;
  parentId?: string | null;
  assignedUserId?: string | null;
}

export interface NewEspoTask {
  name: string;
  description?: string;
  parentType?: string;
  parentId?: string;
  assignedUserId?: string;
  status?: string;
  priority?: string;
}

export interface NewEspoNotification {
  userId: string;
  message: string;
  relatedType?: string;
  relatedId?: string;
}
