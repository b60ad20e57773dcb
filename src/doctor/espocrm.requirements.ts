/**
 * Every EspoCRM entity type, field and link the hub reads or writes, gathered from
 * the mappers and types (`src/integrations/espocrm/espocrm.types.ts`,
 * `src/vmh/*`, `src/xai/*`). Field names are metadata field names: a link's
 * attribute `beteiligteId` is field `beteiligte`, a file's `dokumentId` is `dokument`.
 * When the hub starts using another field, add it here so the doctor checks it.
 */
export interface EntityRequirement {
  entity: string;
  fields: string[];
  links?: string[];
  /** Enum fields and the options the hub writes. */
  enumOptions?: Record<string, string[]>;
  /** Why the hub needs the entity, for the fix line. */
  usedBy: string;
}

export const ESPOCRM_REQUIREMENTS: readonly EntityRequirement[] = [
  {
    entity: 'CBeteiligte',
    usedBy: 'Beteiligte sync',
    fields: [
      'name',
      'firstName',
      'lastName',
      'rechtsform',
      'anrede',
      'geburtsdatum',
      'handelsregisterNummer',
      'registergericht',
      'emailAddress',
      'phoneNumber',
      'assignedUser',
      'betnr',
      'advowareRowId',
      'advowareLastSync',
      'syncStatus',
      'syncRetryCount',
      'syncNextRetry',
      'syncAutoResetAt',
      'syncErrorMessage',
      'kommunikationHash',
    ],
    links: ['bankverbindungen', 'adressen'],
    enumOptions: {
      syncStatus: [
        'pending_sync',
        'dirty',
        'clean',
        'failed',
        'permanently_failed',
        'conflict',
        'deleted_in_advoware',
      ],
    },
  },
  {
    entity: 'CAdressen',
    usedBy: 'Beteiligte sync (addresses)',
    fields: ['name', 'strasse', 'plz', 'ort', 'land', 'anschrift', 'istStandard', 'beteiligte'],
  },
  {
    entity: 'CBankverbindungen',
    usedBy: 'Bankverbindungen sync',
    fields: [
      'name',
      'iban',
      'bic',
      'kontoinhaber',
      'bankname',
      'istAktiv',
      'istStandard',
      'beteiligte',
      'advowareKontoId',
      'advowareLastSync',
      'syncStatus',
      'syncErrorMessage',
    ],
    enumOptions: { syncStatus: ['clean', 'unclean', 'failed'] },
  },
  {
    entity: 'CDokumente',
    usedBy: 'document sync',
    fields: [
      'name',
      'dokument',
      'description',
      'xaiId',
      'xaiCollections',
      'xaiSyncedHash',
      'fileStatus',
      'md5sum',
      'syncErrorMessage',
    ],
  },
  {
    entity: 'Task',
    usedBy: 'conflict and failure tasks',
    fields: ['name', 'status', 'priority', 'description', 'parent', 'assignedUser'],
  },
  {
    entity: 'Notification',
    usedBy: 'deletion notifications',
    fields: ['type', 'message', 'user', 'related'],
  },
];

/** Each entity type that gets an xAI collection needs its id field and its documents link. */
export function collectionRequirements(entityTypes: readonly string[]): EntityRequirement[] {
  return entityTypes.map((entity) => ({
    entity,
    usedBy: 'xAI collection',
    fields: ['name', 'xaiCollectionId'],
    links: ['dokumente'],
  }));
}

export interface EntityDefsLike {
  fields?: Record<string, { type?: string; options?: unknown } | undefined>;
  links?: Record<string, unknown>;
}

/** What one entity type's metadata lacks: empty when everything the hub needs is there. */
export function missingInEntityDefs(
  req: EntityRequirement,
  defs: EntityDefsLike | null | undefined,
): string[] {
  if (!defs || typeof defs !== 'object') return [`entity type ${req.entity}`];
  const fields = defs.fields ?? {};
  const links = defs.links ?? {};
  const missing: string[] = [];
  for (const f of req.fields) if (!fields[f]) missing.push(`${req.entity}.${f}`);
  for (const l of req.links ?? []) if (!links[l]) missing.push(`${req.entity} link ${l}`);
  for (const [field, wanted] of Object.entries(req.enumOptions ?? {})) {
    const options = fields[field]?.options;
    if (!fields[field] || !Array.isArray(options)) continue;
    const absent = wanted.filter((o) => !options.includes(o));
    if (absent.length) missing.push(`${req.entity}.${field} options ${absent.join(', ')}`);
  }
  return missing;
}
