import { Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { EntityLock } from '../core/lock/entity-lock.service.js';
import { STEP_CATALOG, type CatalogEntry } from '../core/steps/step.decorator.js';
import { EspoCrmClient } from '../integrations/espocrm/espocrm.client.js';
import { QueueConsoleService } from './queue-console.service.js';
import { UpstreamNotFoundError } from '../core/errors/upstream.errors.js';

/**
 * The lock steps that guard an entity type, as the steps declare them (`@Process`
 * locks in the catalogue). A type no lock names may still have a collection: the
 * locks whose types come from the configuration are shown for it.
 */
export function lockStepsFor(
  entityType: string,
  config: AppConfig,
  catalog: readonly CatalogEntry[] = STEP_CATALOG,
): string[] {
  const named: string[] = [];
  const configured: string[] = [];
  for (const e of catalog) {
    for (const { lock } of e.processes) {
      const dynamic = typeof lock.entityTypes === 'function';
      const types =
        typeof lock.entityTypes === 'function' ? lock.entityTypes(config) : lock.entityTypes;
      if (types.includes(entityType) && !named.includes(lock.step)) named.push(lock.step);
      if (dynamic && !configured.includes(lock.step)) configured.push(lock.step);
    }
  }
  return named.length > 0 ? named : configured;
}

/** Fields the hub owns on EspoCRM records (DOMAIN.md), shown when present. */
const SYNC_FIELDS = [
  'name',
  'modifiedAt',
  'syncStatus',
  'syncErrorMessage',
  'syncRetryCount',
  'syncNextRetry',
  'syncAutoResetAt',
  'advowareLastSync',
  'betnr',
  'advowareRowId',
  'advowareKontoId',
  'kommunikationHash',
  'xaiCollectionId',
  'xaiId',
  'xaiCollections',
  'xaiSyncedHash',
  'md5sum',
  'fileStatus',
];

/**
 * One answer to "why is this entity not in sync?": its sync fields in EspoCRM,
 * the references to the other systems, the locks, its jobs and their errors.
 */
@Injectable()
export class EntityStatusService {
  constructor(
    private readonly espocrm: EspoCrmClient,
    private readonly lock: EntityLock,
    private readonly queues: QueueConsoleService,
    private readonly config: AppConfig,
  ) {}

  async status(entityType: string, id: string) {
    let record: Record<string, unknown> | null = null;
    let recordError: string | undefined;
    try {
      record = await this.espocrm.get(entityType, id);
    } catch (err) {
      if (!(err instanceof UpstreamNotFoundError)) recordError = (err as Error).message;
    }
    const sync = record
      ? Object.fromEntries(
          SYNC_FIELDS.filter((f) => record![f] !== undefined).map((f) => [f, record![f]]),
        )
      : null;
    const steps = lockStepsFor(entityType, this.config);
    const locks = await Promise.all(
      steps.map(async (step) => ({
        key: `${step}:${entityType}:${id}`,
        ...(await this.lock.inspect({ step, entityType, entityId: id })),
      })),
    );
    const jobs = await this.queues.jobsFor(id);
    const failed = jobs.filter((j) => j.failedReason);
    return {
      entityType,
      id,
      exists: record !== null,
      recordError,
      sync,
      references: sync
        ? {
            advoware: sync.betnr ?? sync.advowareKontoId ?? null,
            xaiFile: sync.xaiId ?? null,
            xaiCollections:
              sync.xaiCollections ?? (sync.xaiCollectionId ? [sync.xaiCollectionId] : []),
          }
        : null,
      locks,
      jobs: {
        waiting: jobs.filter((j) => !j.failedReason && !j.processedOn),
        active: jobs.filter((j) => !j.failedReason && j.processedOn && !j.finishedOn),
        failed,
      },
      lastErrors: failed.map((j) => ({
        at: j.finishedOn,
        reason: j.failedReason,
        traceId: j.traceId,
      })),
      // Logs are not kept by the hub: search journald for these trace ids.
      traceIds: [...new Set(jobs.map((j) => j.traceId).filter(Boolean))],
    };
  }
}
