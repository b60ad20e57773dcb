import { Injectable } from '@nestjs/common';
import { UpstreamNotFoundError } from '../../core/errors/upstream.errors.js';
import { espoDateTime } from '../../integrations/espocrm/espocrm-datetime.js';
import { EspoCrmClient } from '../../integrations/espocrm/espocrm.client.js';
import type { CBankverbindungen, CBeteiligte } from '../../integrations/espocrm/espocrm.types.js';
import { BANKVERBINDUNGEN_ENTITY } from './bankverbindungen.jobs.js';
import type { TaskText } from './bankverbindungen.mapper.js';

/** The EspoCRM reads and writes of the Bankverbindungen sync, each writing only what differs. */
@Injectable()
export class BankverbindungenRecords {
  constructor(private readonly espo: EspoCrmClient) {}

  /** The record, or undefined when EspoCRM answers 404. */
  async find<T extends CBankverbindungen | CBeteiligte>(
    entity: string,
    id: string,
  ): Promise<T | undefined> {
    try {
      return await this.espo.get<T>(entity, id);
    } catch (err) {
      if (err instanceof UpstreamNotFoundError) return undefined;
      throw err;
    }
  }

  /** Every account of the party, `current` last (as read, not as listed). */
  async partyAccounts(partyId: string, current: CBankverbindungen): Promise<CBankverbindungen[]> {
    const list: CBankverbindungen[] = [];
    for await (const a of this.espo.listAllRelated<CBankverbindungen>(
      'CBeteiligte',
      partyId,
      'bankverbindungen',
    )) {
      if (a.id !== current.id) list.push(a);
    }
    return [...list, current];
  }

  async markClean(
    account: CBankverbindungen,
    kontoId: number,
    wroteAdvoware: boolean,
  ): Promise<void> {
    const alreadyClean =
      account.syncStatus === 'clean' &&
      Number(account.advowareKontoId) === kontoId &&
      !account.syncErrorMessage &&
      !!account.advowareLastSync;
    // An unchanged, clean record gets no write: the write would come back as an update
    // webhook, and this comparison is what ends that echo.
    if (alreadyClean && !wroteAdvoware) return;
    await this.espo.update(BANKVERBINDUNGEN_ENTITY, account.id, {
      advowareKontoId: kontoId,
      advowareLastSync: espoDateTime(new Date()),
      syncStatus: 'clean',
      syncErrorMessage: null,
    });
  }

  async markFailed(account: CBankverbindungen, message: string): Promise<void> {
    if (account.syncStatus === 'failed' && account.syncErrorMessage === message) return;
    await this.espo.update(BANKVERBINDUNGEN_ENTITY, account.id, {
      syncStatus: 'failed',
      syncErrorMessage: message,
    });
  }

  /** One Task per problem: an open Task of the same name on the same record is enough. */
  async ensureTask(
    parentType: string,
    parentId: string,
    task: TaskText,
    assignedUserId: string | null | undefined,
  ): Promise<boolean> {
    if (await this.espo.findOpenTask(parentType, parentId, task.name)) return false;
    await this.espo.createTask({
      name: task.name,
      description: task.description,
      parentType,
      parentId,
      assignedUserId: assignedUserId ?? undefined,
      priority: 'High',
    });
    return true;
  }
}
