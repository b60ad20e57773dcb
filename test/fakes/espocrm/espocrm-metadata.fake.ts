/**
 * A small, plausible slice of EspoCRM metadata for the entities the hub touches. The
 * fake serves it on `GET Metadata` and validates enum fields against it (EspoCRM 7+
 * refuses an unknown enum option with 400), so a typo in a status value fails a test.
 */

export interface FieldDef {
  type: string;
  options?: string[];
  required?: boolean;
  readOnly?: boolean;
  entity?: string;
  /** linkMultiple: EspoCRM does not load `{field}Ids`/`{field}Names` with the record. */
  noLoad?: boolean;
}

export interface LinkDefMeta {
  type: 'belongsTo' | 'hasMany' | 'manyMany' | 'belongsToParent';
  entity?: string;
  foreign?: string;
  relationName?: string;
}

export interface EntityDefs {
  fields: Record<string, FieldDef>;
  links: Record<string, LinkDefMeta>;
  collection?: { orderBy: string; order: 'asc' | 'desc' };
}

const base: Record<string, FieldDef> = {
  name: { type: 'varchar' },
  createdAt: { type: 'datetime', readOnly: true },
  modifiedAt: { type: 'datetime', readOnly: true },
  assignedUser: { type: 'link' },
  description: { type: 'text' },
};

const BETEILIGTE_SYNC_STATUS = [
  '',
  'pending_sync',
  'dirty',
  'clean',
  'failed',
  'permanently_failed',
  'conflict',
  'deleted_in_advoware',
];

/** Entity types that own a `dokumente` many-to-many link to CDokumente by default. */
export const DEFAULT_DOCUMENT_PARENTS = ['CVmhRaeumungsklage', 'Account', 'CBeteiligte'];

export const lowerFirst = (s: string): string => s.charAt(0).toLowerCase() + s.slice(1);

export interface EntityDefsOptions {
  /**
   * Whether CDokumente's reverse links to the document parents have link-multiple
   * fields of the same name (EspoCRM's "Link Multiple Field" option of a
   * many-to-many relationship), so a record read carries `{link}Ids`/`{link}Names`.
   */
  documentLinkFields?: boolean;
}

export function buildEntityDefs(
  documentParents: string[],
  options: EntityDefsOptions = {},
): Record<string, EntityDefs> {
  const defs: Record<string, EntityDefs> = {
    CBeteiligte: {
      fields: {
        ...base,
        firstName: { type: 'varchar' },
        lastName: { type: 'varchar' },
        rechtsform: { type: 'varchar' },
        anrede: { type: 'varchar' },
        geburtsdatum: { type: 'date' },
        handelsregisterNummer: { type: 'varchar' },
        registergericht: { type: 'varchar' },
        emailAddress: { type: 'email' },
        phoneNumber: { type: 'phone' },
        betnr: { type: 'int' },
        advowareRowId: { type: 'varchar' },
        advowareLastSync: { type: 'datetime' },
        syncStatus: { type: 'enum', options: BETEILIGTE_SYNC_STATUS },
        syncRetryCount: { type: 'int' },
        syncNextRetry: { type: 'datetime' },
        syncAutoResetAt: { type: 'datetime' },
        syncErrorMessage: { type: 'text' },
        kommunikationHash: { type: 'varchar' },
        xaiCollectionId: { type: 'varchar' },
      },
      links: {
        bankverbindungen: { type: 'hasMany', entity: 'CBankverbindungen', foreign: 'beteiligte' },
        adressen: { type: 'hasMany', entity: 'CAdressen', foreign: 'beteiligte' },
      },
    },
    CAdressen: {
      fields: {
        ...base,
        strasse: { type: 'varchar' },
        plz: { type: 'varchar' },
        ort: { type: 'varchar' },
        land: { type: 'varchar' },
        anschrift: { type: 'text' },
        istStandard: { type: 'bool' },
        beteiligte: { type: 'link', entity: 'CBeteiligte' },
      },
      links: { beteiligte: { type: 'belongsTo', entity: 'CBeteiligte', foreign: 'adressen' } },
    },
    CBankverbindungen: {
      fields: {
        ...base,
        iban: { type: 'varchar' },
        bic: { type: 'varchar' },
        kontoinhaber: { type: 'varchar' },
        bankname: { type: 'varchar' },
        istAktiv: { type: 'bool' },
        istStandard: { type: 'bool' },
        beteiligte: { type: 'link', entity: 'CBeteiligte' },
        advowareKontoId: { type: 'int' },
        advowareLastSync: { type: 'datetime' },
        syncStatus: { type: 'enum', options: ['', 'clean', 'unclean', 'failed'] },
        syncErrorMessage: { type: 'text' },
      },
      links: {
        beteiligte: { type: 'belongsTo', entity: 'CBeteiligte', foreign: 'bankverbindungen' },
      },
    },
    CDokumente: {
      fields: {
        ...base,
        dokument: { type: 'file' },
        xaiId: { type: 'varchar' },
        xaiCollections: { type: 'jsonArray' },
        xaiSyncedHash: { type: 'varchar' },
        fileStatus: { type: 'enum', options: ['', 'neu', 'geändert', 'synced', 'failed'] },
        md5sum: { type: 'varchar' },
        syncErrorMessage: { type: 'text' },
      },
      links: {},
    },
    CVmhRaeumungsklage: {
      fields: { ...base, aktenzeichen: { type: 'varchar' }, xaiCollectionId: { type: 'varchar' } },
      links: {},
    },
    Account: {
      fields: { ...base, xaiCollectionId: { type: 'varchar' } },
      links: {},
    },
    Task: {
      fields: {
        ...base,
        name: { type: 'varchar', required: true },
        status: {
          type: 'enum',
          options: ['Not Started', 'Started', 'Completed', 'Canceled', 'Deferred'],
        },
        priority: { type: 'enum', options: ['Low', 'Normal', 'High', 'Urgent'] },
        parent: { type: 'linkParent' },
      },
      links: { parent: { type: 'belongsToParent' } },
    },
    Notification: {
      fields: {
        type: { type: 'varchar' },
        message: { type: 'text' },
        user: { type: 'link', entity: 'User', required: true },
        related: { type: 'linkParent' },
        read: { type: 'bool' },
        createdAt: { type: 'datetime', readOnly: true },
      },
      links: {},
    },
    Attachment: {
      fields: {
        name: { type: 'varchar' },
        type: { type: 'varchar' },
        size: { type: 'int' },
        role: { type: 'varchar' },
        field: { type: 'varchar' },
        related: { type: 'linkParent' },
        createdAt: { type: 'datetime', readOnly: true },
      },
      links: {},
    },
  };
  for (const d of Object.values(defs)) d.collection = { orderBy: 'createdAt', order: 'desc' };
  for (const parent of documentParents) {
    defs[parent] ??= {
      fields: { ...base, xaiCollectionId: { type: 'varchar' } },
      links: {},
      collection: { orderBy: 'createdAt', order: 'desc' },
    };
    defs[parent].links.dokumente = {
      type: 'manyMany',
      entity: 'CDokumente',
      foreign: lowerFirst(parent),
      relationName: `${lowerFirst(parent)}Dokumente`,
    };
    defs.CDokumente.links[lowerFirst(parent)] = {
      type: 'manyMany',
      entity: parent,
      foreign: 'dokumente',
    };
  }
  setDocumentLinkFields(defs, documentParents, options.documentLinkFields ?? true);
  return defs;
}

/** Adds or removes the link-multiple fields of CDokumente's reverse links. */
export function setDocumentLinkFields(
  defs: Record<string, EntityDefs>,
  documentParents: string[],
  enabled: boolean,
): void {
  for (const parent of documentParents) {
    const field = lowerFirst(parent);
    if (enabled) defs.CDokumente.fields[field] = { type: 'linkMultiple', entity: parent };
    else delete defs.CDokumente.fields[field];
  }
}

export function buildMetadata(
  documentParents: string[],
  options: EntityDefsOptions = {},
): Record<string, unknown> {
  const entityDefs = buildEntityDefs(documentParents, options);
  const scopes = Object.fromEntries(
    Object.keys(entityDefs).map((e) => [
      e,
      { entity: true, object: !['Notification', 'Attachment'].includes(e) },
    ]),
  );
  return { entityDefs, scopes, app: { recordsPerPage: 20 } };
}
