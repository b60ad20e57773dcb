import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '../../config/app-config.js';
import { UpstreamNotFoundError } from '../../core/errors/upstream.errors.js';
import type { EntityEvent } from '../../core/queue/topic.js';
import { AdvowareClient } from '../../integrations/advoware/advoware.client.js';
import type { AdvowareBeteiligte } from '../../integrations/advoware/advoware.types.js';
import { EspoCrmClient } from '../../integrations/espocrm/espocrm.client.js';
import { espoDateTime, parseEspoDateTime } from '../../integrations/espocrm/espocrm-datetime.js';
import type {
  BeteiligteSyncStatus,
  CBeteiligte,
} from '../../integrations/espocrm/espocrm.types.js';
import { AdressenSyncService } from './adressen-sync.service.js';
import {
  BeteiligteCreateService,
  putToAdvoware,
  readBeteiligte,
} from './beteiligte-create.service.js';
import { BeteiligteCreateJournal } from './create-journal.js';
import { decideBeteiligteSync } from './beteiligte.decision.js';
import { ENTITY, toEspoPatch } from './beteiligte.mapper.js';
import { KommunikationSyncService } from './kommunikation-sync.service.js';
import { failureFields, isValidationFailure, waitsForRetry } from './sync-status.js';

// The entity name lives beside the mapper (the create service needs it too); importers keep it here.
export { ENTITY } from './beteiligte.mapper.js';

/** How long after `advowareLastSync` a `modifiedAt` may still be the hub's own write-back. */
const OWN_WRITE_TOLERANCE_MS = 5_000;

export type BeteiligteJobAction = 'create' | 'update' | 'delete';

export interface BeteiligteJob extends EntityEvent {
  /** Which webhook topic the event came from; kept in the payload so a trailing run knows it too. */
  action: BeteiligteJobAction;
}

function hasBetnr(e: CBeteiligte): e is CBeteiligte & { betnr: number } {
  return e.betnr !== null && e.betnr !== undefined;
}

/**
 * `advowareLastSync` for a write the hub is about to make: taken after every Advoware
 * write (so it is ≥ Advoware's geaendertAm of our own writes) and one second ahead,
 * because EspoCRM stamps `modifiedAt` in whole seconds when it processes the write,
 * which may already be the next second: the hub's own write must never look like a
 * later EspoCRM edit (that made the next Advoware-only change a false conflict, lost to
 * EspoCRM). A user edit within that second still marks the party `dirty`.
 */
function lastSyncStamp(): string {
  return espoDateTime(new Date(Date.now() + 1000));
}

/** Embedded lists of the party as read before a PUT, when the PUT's answer leaves them out. */
function withEmbeddedLists(
  party: AdvowareBeteiligte,
  before: AdvowareBeteiligte | null,
): AdvowareBeteiligte {
  if (!before || before.betNr !== party.betNr) return party;
  return {
    ...party,
    kommunikation: party.kommunikation ?? before.kommunikation,
    adressen: party.adressen ?? before.adressen,
  };
}

function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

/**
 * One sync run of a CBeteiligte (called under the entity lock): load, decide (pure),
 * apply master data, then Kommunikation, then Adressen, then one EspoCRM write of
 * everything the hub owns — and only when something differs, so the echo of that
 * write ends as `no_change` with zero writes.
 */
@Injectable()
export class BeteiligteSyncService {
  private readonly logger = new Logger(BeteiligteSyncService.name);

  constructor(
    private readonly espocrm: EspoCrmClient,
    private readonly advoware: AdvowareClient,
    private readonly kommunikation: KommunikationSyncService,
    private readonly adressen: AdressenSyncService,
    private readonly config: AppConfig,
    private readonly journal: BeteiligteCreateJournal,
    private readonly create: BeteiligteCreateService,
  ) {}

  run(job: BeteiligteJob): Promise<void> {
    return job.action === 'delete'
      ? this.handleDelete(job.entityId)
      : this.sync(job.entityId, job.manual === true);
  }

  /** `manual`: an operator retried from the console, so a pending retry time does not hold it back. */
  async sync(id: string, manual = false): Promise<void> {
    const now = new Date();
    const espo = await this.loadEspo(id);
    if (!espo) {
      this.logger.log(`CBeteiligte/${id} skipped: no longer in EspoCRM`);
      return;
    }
    if (espo.syncStatus === 'deleted_in_advoware' && hasBetnr(espo)) {
      this.logger.log(`CBeteiligte/${id} skipped: deleted_in_advoware, a person decides`);
      return;
    }
    if (!manual && waitsForRetry(espo, now)) {
      this.logger.log(
        `CBeteiligte/${id} skipped: ${espo.syncStatus}, next retry ${espo.syncNextRetry ?? 'after a user change'}`,
      );
      return;
    }

    const current = hasBetnr(espo) ? await readBeteiligte(this.advoware, espo.betnr) : null;
    const decision = decideBeteiligteSync({ espo, advoware: current });
    const espoChangedSinceSync = this.espoChangedSinceSync(espo);

    let advoware: AdvowareBeteiligte;
    let espoPatch: Record<string, unknown> = {};
    let status: BeteiligteSyncStatus = 'clean';
    switch (decision.action) {
      case 'deleted_in_advoware':
        await this.notify(
          espo,
          `Beteiligter ${espo.betnr} existiert in Advoware nicht mehr; "${espo.name ?? id}" wurde nicht neu angelegt. Bitte entscheiden.`,
          `Advoware-Beteiligter ${espo.betnr} gelöscht`,
        );
        await this.espocrm.update(ENTITY, id, {
          syncStatus: 'deleted_in_advoware',
          syncErrorMessage: `Advoware Beteiligte ${espo.betnr} not found (404)`,
          advowareLastSync: lastSyncStamp(),
        });
        this.logger.log(
          `CBeteiligte/${id} deleted_in_advoware: betnr ${espo.betnr}, person notified`,
        );
        return;
      case 'create':
        advoware = await this.create.createOrAdopt(espo);
        break;
      case 'espocrm_newer':
        advoware = await putToAdvoware(this.advoware, espo, espo.betnr as number);
        break;
      case 'conflict':
        advoware = await putToAdvoware(this.advoware, espo, espo.betnr as number);
        status = 'conflict';
        await this.notify(
          espo,
          `Konflikt bei "${espo.name ?? id}" (betnr ${espo.betnr}): EspoCRM und Advoware wurden beide geändert; ` +
            `EspoCRM hat gewonnen (${decision.reason}). Bitte Advoware-Änderungen prüfen.`,
          `Sync-Konflikt Beteiligter ${espo.betnr}`,
        );
        break;
      case 'advoware_newer':
        advoware = current as AdvowareBeteiligte;
        espoPatch = toEspoPatch(espo, advoware);
        break;
      case 'no_change':
        advoware = current as AdvowareBeteiligte;
        // A conflict stays visible until the next real change; everything else is in sync now.
        if (espo.syncStatus === 'conflict') status = 'conflict';
        break;
    }

    // The party as read before our PUT still holds its embedded lists (a PUT answer may not).
    const party = withEmbeddedLists(advoware, current);
    const komm = await this.kommunikation.sync(espo, party, espoChangedSinceSync);
    const adr = await this.adressen.sync(espo, party);

    const desired: Record<string, unknown> = {
      ...espoPatch,
      ...komm.espoFields,
      betnr: advoware.betNr,
      advowareRowId: advoware.rowId ?? null,
      kommunikationHash: komm.hash,
      syncStatus: status,
      syncErrorMessage: null,
    };
    if (espo.syncRetryCount || espo.syncNextRetry || espo.syncAutoResetAt) {
      Object.assign(desired, { syncRetryCount: 0, syncNextRetry: null, syncAutoResetAt: null });
    }
    const changes = Object.fromEntries(
      Object.entries(desired).filter(([k, v]) => !sameValue(espo[k], v)),
    );
    const wrote =
      Object.keys(changes).length > 0 ||
      decision.action !== 'no_change' ||
      this.lastSyncStale(espo, now);
    if (wrote) {
      await this.espocrm.update(ENTITY, id, {
        ...changes,
        advowareLastSync: lastSyncStamp(),
      });
    }
    this.logger.log(
      `CBeteiligte/${id} ${decision.action} (${decision.reason}): betnr ${advoware.betNr}, ` +
        `Kommunikation ${komm.advowareWrites} Advoware writes, Adressen ${adr.advowareWrites} writes/${adr.tasks} Tasks, ` +
        `status ${status}${wrote ? '' : ', nothing written'}`,
    );
  }

  /**
   * EspoCRM does not delete in Advoware: a person decides (DOMAIN.md). Only once EspoCRM
   * confirms the record is gone (404, or `deleted`): a delete webhook is just a claim,
   * and one for a record that still exists (replayed, forged, out of order) is dropped.
   */
  async handleDelete(id: string): Promise<void> {
    const espo = await this.loadEspo(id);
    if (espo && espo.deleted !== true) {
      this.logger.warn(
        `CBeteiligte/${id} delete webhook dropped: EspoCRM still has the record (not deleted)`,
      );
      return;
    }
    const betnr =
      espo && hasBetnr(espo)
        ? espo.betnr
        : ((await this.journal.get(id))?.betNr ??
          (await this.advoware.findBeteiligteByEspoId(id))?.betNr);
    if (betnr === undefined) {
      this.logger.log(`CBeteiligte/${id} deleted in EspoCRM: no Advoware party, nothing to do`);
      return;
    }
    await this.notify(
      espo ?? { id },
      `Beteiligter "${espo?.name ?? id}" wurde in EspoCRM gelöscht; Advoware-Beteiligter ${betnr} bleibt bestehen. ` +
        'Bitte entscheiden, ob er in Advoware gelöscht werden soll.',
      `In EspoCRM gelöscht: Advoware-Beteiligter ${betnr} prüfen`,
    );
    this.logger.log(
      `CBeteiligte/${id} deleted in EspoCRM: Advoware betnr ${betnr} kept, person notified`,
    );
  }

  /**
   * Called by the processor's `onFailure` on the final failure of a job: writes the
   * DOMAIN.md schedule (`failed` + `syncNextRetry`, or `permanently_failed`).
   */
  async recordFailure(id: string, err: unknown): Promise<void> {
    const espo = await this.loadEspo(id);
    if (!espo) return;
    const message = err instanceof Error ? err.message : String(err);
    const fields = failureFields(
      espo.syncRetryCount,
      message,
      isValidationFailure(err),
      new Date(),
    );
    await this.espocrm.update(ENTITY, id, { ...fields });
    this.logger.warn(
      `CBeteiligte/${id} ${fields.syncStatus} (failure ${fields.syncRetryCount}, next ${fields.syncNextRetry ?? 'on user change'}): ${message}`,
    );
  }

  /**
   * For the Kommunikation diff only: did a person edit EspoCRM since the last sync?
   * EspoCRM's `dirty` says so; the timestamp allows for the hub's own write-back, whose
   * `modifiedAt` (server clock, whole seconds) can lie a moment after `advowareLastSync`.
   */
  private espoChangedSinceSync(espo: CBeteiligte): boolean {
    if (!espo.advowareLastSync || espo.syncStatus === 'dirty' || espo.syncStatus === 'pending_sync')
      return true;
    if (!espo.modifiedAt) return false;
    const lastSync = parseEspoDateTime(espo.advowareLastSync).getTime();
    return parseEspoDateTime(espo.modifiedAt).getTime() > lastSync + OWN_WRITE_TOLERANCE_MS;
  }

  /** A clean entity the cron re-checks gets a fresh `advowareLastSync` now and then, or it would be picked every tick. */
  private lastSyncStale(espo: CBeteiligte, now: Date): boolean {
    if (!espo.advowareLastSync) return true;
    const ageMs = now.getTime() - parseEspoDateTime(espo.advowareLastSync).getTime();
    return ageMs > (this.config.vmh.resyncCleanAfterHours * 3_600_000) / 2;
  }

  private async notify(espo: CBeteiligte, message: string, taskName: string): Promise<void> {
    if (espo.assignedUserId) {
      await this.espocrm.createNotification({
        userId: espo.assignedUserId,
        message,
        relatedType: ENTITY,
        relatedId: espo.id,
      });
      return;
    }
    if (await this.espocrm.findOpenTask(ENTITY, espo.id, taskName)) return;
    await this.espocrm.createTask({
      name: taskName,
      description: message,
      parentType: ENTITY,
      parentId: espo.id,
    });
  }

  private async loadEspo(id: string): Promise<CBeteiligte | undefined> {
    try {
      return await this.espocrm.get<CBeteiligte>(ENTITY, id);
    } catch (err) {
      if (err instanceof UpstreamNotFoundError) return undefined;
      throw err;
    }
  }
}
