import { Injectable, Logger } from '@nestjs/common';
import {
  UpstreamForbiddenError,
  UpstreamNotFoundError,
} from '../../core/errors/upstream.errors.js';
import { AdvowareClient } from '../../integrations/advoware/advoware.client.js';
import type { AdvowareBankverbindung } from '../../integrations/advoware/advoware.types.js';
import type { CBankverbindungen, CBeteiligte } from '../../integrations/espocrm/espocrm.types.js';
import { BANKVERBINDUNGEN_ENTITY } from './bankverbindungen.jobs.js';
import {
  deleteRefusedTask,
  espoIdOf,
  type BankverbindungLocation,
} from './bankverbindungen.mapper.js';
import { BankverbindungLocationStore } from './bankverbindung-location.store.js';
import { BankverbindungenRecords } from './bankverbindungen-records.service.js';

export type DeleteOutcome = 'deleted' | 'delete_refused' | 'delete_nothing_to_do';

/**
 * A Bankverbindung gone from EspoCRM (or flagged deleted). Advoware refuses deletes,
 * so this ends as a Task for a person, unless the account is already gone there too.
 */
@Injectable()
export class BankverbindungenDeleteService {
  private readonly logger = new Logger(BankverbindungenDeleteService.name);

  constructor(
    private readonly advoware: AdvowareClient,
    private readonly records: BankverbindungenRecords,
    private readonly locations: BankverbindungLocationStore,
  ) {}

  async handleDeleted(id: string, flagged: CBankverbindungen | undefined): Promise<DeleteOutcome> {
    const location = await this.locate(id, flagged);
    if (!location) {
      this.logger.log(`bankverbindung ${ref(id)} deleted: never synced to Advoware, nothing to do`);
      return 'delete_nothing_to_do';
    }
    let list: AdvowareBankverbindung[];
    try {
      list = await this.advoware.listBankverbindungen(location.betnr);
    } catch (err) {
      if (!(err instanceof UpstreamNotFoundError)) throw err;
      list = [];
    }
    const entry =
      list.find((e) => espoIdOf(e.bemerkung) === id) ??
      list.find((e) => Number(e.id) === location.kontoId && espoIdOf(e.bemerkung) === undefined);
    if (!entry) {
      await this.locations.forget(id);
      this.logger.log(
        `bankverbindung ${ref(id)} deleted: already gone from Advoware Beteiligte ${location.betnr}`,
      );
      return 'delete_nothing_to_do';
    }
    const found = { ...location, kontoId: Number(entry.id) };
    try {
      await this.advoware.deleteBankverbindung(found.betnr, found.kontoId);
    } catch (err) {
      if (err instanceof UpstreamNotFoundError) {
        await this.locations.forget(id);
        return 'delete_nothing_to_do';
      }
      if (!(err instanceof UpstreamForbiddenError) || err.system !== 'advoware') throw err;
      return this.refused(id, found, err.reason ?? 'HTTP 403');
    }
    await this.locations.forget(id);
    this.logger.log(
      `bankverbindung ${ref(id)} deleted: Advoware konto ${found.kontoId} of Beteiligte ${found.betnr} removed`,
    );
    return 'deleted';
  }

  /** Advoware refused the delete: a Task on the party asks a person to remove the account. */
  private async refused(
    id: string,
    found: BankverbindungLocation,
    reason: string,
  ): Promise<DeleteOutcome> {
    const party = await this.records.find<CBeteiligte>('CBeteiligte', found.beteiligteId);
    const task = deleteRefusedTask(found, id, reason);
    const created = await this.records.ensureTask(
      'CBeteiligte',
      found.beteiligteId,
      task,
      party?.assignedUserId,
    );
    await this.locations.keepHandled(id);
    this.logger.warn(
      `bankverbindung ${ref(id)} deleted in EspoCRM: Advoware refused deleting konto ${found.kontoId} of Beteiligte ${found.betnr}, ` +
        (created ? 'task created' : 'task already open'),
    );
    return 'delete_refused';
  }

  /**
   * Where the deleted account lived. A flagged record still names its party; a record
   * that is gone has only its id, so the hub keeps a small locator per synced account
   * (BankverbindungLocationStore).
   */
  private async locate(
    id: string,
    flagged: CBankverbindungen | undefined,
  ): Promise<BankverbindungLocation | undefined> {
    const stored = await this.locations.get(id);
    if (stored) return stored;
    if (
      !flagged?.beteiligteId ||
      flagged.advowareKontoId === null ||
      flagged.advowareKontoId === undefined
    ) {
      return undefined;
    }
    const party = await this.records.find<CBeteiligte>('CBeteiligte', flagged.beteiligteId);
    if (party?.betnr === null || party?.betnr === undefined) return undefined;
    return {
      beteiligteId: party.id,
      betnr: Number(party.betnr),
      kontoId: Number(flagged.advowareKontoId),
      iban: String(flagged.iban ?? ''),
    };
  }
}

function ref(id: string): string {
  return `${BANKVERBINDUNGEN_ENTITY}/${id}`;
}
