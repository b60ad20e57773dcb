import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { AppConfig } from '../../config/app-config.js';
import {
  TransientUpstreamError,
  UpstreamForbiddenError,
  UpstreamNotFoundError,
} from '../../core/errors/upstream.errors.js';
import { JobProducer, QueueUnavailableError } from '../../core/queue/job-producer.service.js';
import type { EntityEvent, Topic } from '../../core/queue/topic.js';
import { REDIS } from '../../core/redis/redis.module.js';
import { AdvowareClient } from '../../integrations/advoware/advoware.client.js';
import type { AdvowareBankverbindung } from '../../integrations/advoware/advoware.types.js';
import { espoDateTime } from '../../integrations/espocrm/espocrm-datetime.js';
import { EspoCrmClient } from '../../integrations/espocrm/espocrm.client.js';
import type { CBankverbindungen, CBeteiligte } from '../../integrations/espocrm/espocrm.types.js';
import { BeteiligteTopics } from '../beteiligte/beteiligte.jobs.js';
import {
  BANKVERBINDUNGEN_ENTITY,
  BankverbindungenTopics,
  MAX_PARTY_WAIT_ROUNDS,
  type BankverbindungEvent,
} from './bankverbindungen.jobs.js';
import {
  decideBankverbindungSync,
  deleteRefusedTask,
  espoIdOf,
  missingInAdvowareTask,
  selectStandardAccount,
  standardCorrections,
  validateAccount,
  writeRefusedTask,
  type BankverbindungLocation,
  type TaskText,
} from './bankverbindungen.mapper.js';

export type BankverbindungOutcome =
  | 'created'
  | 'updated'
  | 'no_change'
  | 'invalid'
  | 'waiting_for_party'
  | 'refused'
  | 'missing_in_advoware'
  | 'deleted'
  | 'delete_refused'
  | 'delete_nothing_to_do'
  | 'delete_dropped';

/** Kept after a delete was handled, so a replayed delete webhook still finds its way. */
const HANDLED_LOCATION_TTL_SECONDS = 7 * 24 * 3600;

/**
 * EspoCRM CBankverbindungen → Advoware (DOMAIN.md, "Bankverbindungen sync"). Reads the
 * record and decides from its state, so create, update and delete events all run
 * this one reconciliation; writes only what differs, on both sides.
 */
@Injectable()
export class BankverbindungenSyncService {
  private readonly logger = new Logger(BankverbindungenSyncService.name);

  constructor(
    private readonly espo: EspoCrmClient,
    private readonly advoware: AdvowareClient,
    private readonly producer: JobProducer,
    private readonly config: AppConfig,
    @Inject(REDIS) private readonly redis: Redis,
  ) {}

  /**
   * `fromDelete`: the event came from the delete webhook. That is only a claim: the
   * delete is acted on when EspoCRM confirms it (404 or `deleted`); for a record that
   * still exists the event is logged and dropped, with no Task and no write.
   */
  async sync(event: BankverbindungEvent, fromDelete = false): Promise<BankverbindungOutcome> {
    const id = event.entityId;
    const account = await this.find<CBankverbindungen>(BANKVERBINDUNGEN_ENTITY, id);
    if (!account || account.deleted === true) return this.handleDeleted(id, account);
    if (fromDelete) {
      this.logger.warn(
        `bankverbindung ${this.ref(id)} delete webhook dropped: EspoCRM still has the record (not deleted)`,
      );
      return 'delete_dropped';
    }

    const valid = validateAccount(account);
    if (!valid.ok) {
      await this.markFailed(account, valid.message);
      this.logger.warn(`bankverbindung ${this.ref(id)} not sent: ${valid.message}`);
      return 'invalid';
    }
    if (!account.beteiligteId) {
      await this.markFailed(
        account,
        'Kein Beteiligter verknüpft: die Bankverbindung gehört zu keinem Beteiligten',
      );
      this.logger.warn(`bankverbindung ${this.ref(id)} not sent: no party linked`);
      return 'invalid';
    }
    const party = await this.find<CBeteiligte>('CBeteiligte', account.beteiligteId);
    if (!party) {
      await this.markFailed(
        account,
        `Beteiligter ${account.beteiligteId} existiert in EspoCRM nicht`,
      );
      this.logger.warn(
        `bankverbindung ${this.ref(id)} not sent: party ${account.beteiligteId} not found`,
      );
      return 'invalid';
    }
    if (party.betnr === null || party.betnr === undefined)
      return this.waitForParty(event, account, party);
    const betnr = Number(party.betnr);

    const siblings = await this.partyAccounts(party.id, account);
    const isStandard = selectStandardAccount(siblings) === account.id;
    let advowareList: AdvowareBankverbindung[];
    try {
      advowareList = await this.advoware.listBankverbindungen(betnr);
    } catch (err) {
      if (!(err instanceof UpstreamNotFoundError)) throw err;
      await this.markFailed(account, `Beteiligter ${betnr} existiert in Advoware nicht`);
      this.logger.warn(
        `bankverbindung ${this.ref(id)} not sent: Advoware has no Beteiligte ${betnr}`,
      );
      return 'invalid';
    }

    const decision = decideBankverbindungSync(account, valid, isStandard, advowareList);
    let kontoId: number;
    let outcome: BankverbindungOutcome;
    try {
      switch (decision.action) {
        case 'missing_in_advoware': {
          const task = missingInAdvowareTask(decision.kontoId, betnr, valid.iban);
          await this.ensureTask(BANKVERBINDUNGEN_ENTITY, id, task, party.assignedUserId);
          await this.markFailed(
            account,
            `Advoware-Bankverbindung ${decision.kontoId} fehlt; Aufgabe erstellt`,
          );
          this.logger.warn(
            `bankverbindung ${this.ref(id)}: Advoware konto ${decision.kontoId} is gone, task created`,
          );
          return 'missing_in_advoware';
        }
        case 'create':
          kontoId = Number((await this.advoware.createBankverbindung(betnr, decision.data)).id);
          outcome = 'created';
          break;
        case 'update':
          await this.advoware.updateBankverbindung(betnr, decision.kontoId, decision.data);
          kontoId = decision.kontoId;
          outcome = 'updated';
          break;
        case 'no_change':
          kontoId = decision.kontoId;
          outcome = 'no_change';
          break;
      }
    } catch (err) {
      // Only Advoware's refusal becomes a Task; EspoCRM refusing the Task itself is a real failure.
      if (!(err instanceof UpstreamForbiddenError) || err.system !== 'advoware') throw err;
      const operation = decision.action === 'create' ? 'create' : 'update';
      const reason = err.reason ?? 'HTTP 403';
      const created = await this.ensureTask(
        BANKVERBINDUNGEN_ENTITY,
        id,
        writeRefusedTask(operation, valid.iban, betnr, reason),
        party.assignedUserId,
      );
      await this.markFailed(
        account,
        `Advoware hat das ${operation === 'create' ? 'Anlegen' : 'Ändern'} abgelehnt (${reason}); Aufgabe erstellt`,
      );
      this.logger.warn(
        `bankverbindung ${this.ref(id)}: Advoware refused the ${operation} (${reason}), ` +
          (created ? 'task created' : 'task already open'),
      );
      return 'refused';
    }

    await this.markClean(account, kontoId, outcome !== 'no_change');
    await this.rememberLocation(id, { beteiligteId: party.id, betnr, kontoId, iban: valid.iban });
    const corrections = standardCorrections(siblings, advowareList, id);
    if (corrections.length > 0) {
      await this.enqueue(
        BankverbindungenTopics.Update,
        corrections.map((entityId) => ({ entityId, traceId: event.traceId })),
      );
    }
    const detail =
      decision.action === 'update'
        ? ` (${decision.changed.join(', ')}${decision.by === 'konto_id' ? '' : `, matched by ${decision.by}`})`
        : '';
    this.logger.log(
      `bankverbindung ${this.ref(id)} synced: ${outcome} Advoware konto ${kontoId} of Beteiligte ${betnr}${detail}` +
        (isStandard ? ', standard' : '') +
        (corrections.length > 0
          ? `, standard flag to fix on ${corrections.length} other account(s)`
          : ''),
    );
    return outcome;
  }

  /** Final failure of a job (retries exhausted or a permanent error): the record says so. */
  async recordFailure(entityId: string, error: unknown): Promise<void> {
    const message = `Synchronisation fehlgeschlagen: ${error instanceof Error ? error.message : String(error)}`;
    try {
      await this.espo.update(BANKVERBINDUNGEN_ENTITY, entityId, {
        syncStatus: 'failed',
        syncErrorMessage: message.slice(0, 2000),
      });
    } catch (err) {
      if (!(err instanceof UpstreamNotFoundError)) throw err;
    }
  }

  /**
   * The record is gone (or flagged deleted). Advoware refuses deletes, so this ends as
   * a Task for a person, unless the account is already gone there too.
   */
  private async handleDeleted(
    id: string,
    flagged: CBankverbindungen | undefined,
  ): Promise<BankverbindungOutcome> {
    const location = await this.locate(id, flagged);
    if (!location) {
      this.logger.log(
        `bankverbindung ${this.ref(id)} deleted: never synced to Advoware, nothing to do`,
      );
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
      await this.forgetLocation(id);
      this.logger.log(
        `bankverbindung ${this.ref(id)} deleted: already gone from Advoware Beteiligte ${location.betnr}`,
      );
      return 'delete_nothing_to_do';
    }
    const found = { ...location, kontoId: Number(entry.id) };
    try {
      await this.advoware.deleteBankverbindung(found.betnr, found.kontoId);
    } catch (err) {
      if (err instanceof UpstreamNotFoundError) {
        await this.forgetLocation(id);
        return 'delete_nothing_to_do';
      }
      if (!(err instanceof UpstreamForbiddenError) || err.system !== 'advoware') throw err;
      const party = await this.find<CBeteiligte>('CBeteiligte', found.beteiligteId);
      const task = deleteRefusedTask(found, id, err.reason ?? 'HTTP 403');
      const created = await this.ensureTask(
        'CBeteiligte',
        found.beteiligteId,
        task,
        party?.assignedUserId,
      );
      await this.redis.expire(this.locationKey(id), HANDLED_LOCATION_TTL_SECONDS);
      this.logger.warn(
        `bankverbindung ${this.ref(id)} deleted in EspoCRM: Advoware refused deleting konto ${found.kontoId} of Beteiligte ${found.betnr}, ` +
          (created ? 'task created' : 'task already open'),
      );
      return 'delete_refused';
    }
    await this.forgetLocation(id);
    this.logger.log(
      `bankverbindung ${this.ref(id)} deleted: Advoware konto ${found.kontoId} of Beteiligte ${found.betnr} removed`,
    );
    return 'deleted';
  }

  /**
   * Where the deleted account lived. A flagged record still names its party; a record
   * that is gone has only its id, so the hub keeps a small locator per synced account
   * in Redis (party, betnr, konto id). It only says where to look: the account itself
   * is recognised by the EspoCRM id in its Advoware `bemerkung` marker.
   */
  private async locate(
    id: string,
    flagged: CBankverbindungen | undefined,
  ): Promise<BankverbindungLocation | undefined> {
    const stored = await this.redis.get(this.locationKey(id));
    if (stored) return JSON.parse(stored) as BankverbindungLocation;
    if (
      !flagged?.beteiligteId ||
      flagged.advowareKontoId === null ||
      flagged.advowareKontoId === undefined
    ) {
      return undefined;
    }
    const party = await this.find<CBeteiligte>('CBeteiligte', flagged.beteiligteId);
    if (party?.betnr === null || party?.betnr === undefined) return undefined;
    return {
      beteiligteId: party.id,
      betnr: Number(party.betnr),
      kontoId: Number(flagged.advowareKontoId),
      iban: String(flagged.iban ?? ''),
    };
  }

  /**
   * The party has no betnr yet: make sure its sync is queued (coalesced with any event
   * already waiting for it), then look again after a growing delay. Waiting is not a
   * failure: the record keeps its status; after MAX_PARTY_WAIT_ROUNDS the cron takes over.
   */
  private async waitForParty(
    event: BankverbindungEvent,
    account: CBankverbindungen,
    party: CBeteiligte,
  ): Promise<BankverbindungOutcome> {
    const round = event.partyWaitRound ?? 0;
    if (round === 0) {
      await this.enqueue(BeteiligteTopics.Update, [{ entityId: party.id, traceId: event.traceId }]);
      if (account.syncStatus === 'failed') {
        // A failure recorded earlier (e.g. an IBAN since corrected) is no longer the truth.
        await this.espo.update(BANKVERBINDUNGEN_ENTITY, account.id, {
          syncStatus: 'unclean',
          syncErrorMessage: `Wartet auf die erste Synchronisation des Beteiligten ${party.id}`,
        });
      }
    }
    if (round >= MAX_PARTY_WAIT_ROUNDS) {
      this.logger.warn(
        `bankverbindung ${this.ref(event.entityId)} still waiting for party ${party.id} after ${round} rounds; left to the cron`,
      );
      return 'waiting_for_party';
    }
    const { backoffBaseMs, backoffMaxMs } = this.config.queue;
    const delayMs = Math.min(backoffMaxMs, backoffBaseMs * 2 ** round);
    await this.enqueue(
      BankverbindungenTopics.Update,
      [{ entityId: event.entityId, traceId: event.traceId, partyWaitRound: round + 1 }],
      delayMs,
    );
    this.logger.log(
      `bankverbindung ${this.ref(event.entityId)} waits for party ${party.id} (no betnr yet); next look in ${delayMs} ms`,
    );
    return 'waiting_for_party';
  }

  /** Coalesced per entity with the webhook intake's key, so a waiting event absorbs this one. */
  private async enqueue<P extends EntityEvent>(
    topic: Topic<P>,
    payloads: P[],
    delayMs?: number,
  ): Promise<void> {
    try {
      await this.producer.enqueue(topic, payloads, {
        coalesceBy: (e) => e.entityId,
        delayMs: delayMs ?? this.config.queue.debounceMs,
      });
    } catch (err) {
      if (err instanceof QueueUnavailableError)
        throw new TransientUpstreamError('redis', err.message);
      throw err;
    }
  }

  private async partyAccounts(
    partyId: string,
    current: CBankverbindungen,
  ): Promise<CBankverbindungen[]> {
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

  private async markClean(
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

  private async markFailed(account: CBankverbindungen, message: string): Promise<void> {
    if (account.syncStatus === 'failed' && account.syncErrorMessage === message) return;
    await this.espo.update(BANKVERBINDUNGEN_ENTITY, account.id, {
      syncStatus: 'failed',
      syncErrorMessage: message,
    });
  }

  /** One Task per problem: an open Task of the same name on the same record is enough. */
  private async ensureTask(
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

  private async find<T extends CBankverbindungen | CBeteiligte>(
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

  private locationKey(id: string): string {
    return `${this.config.queue.prefix}:vmh:bankverbindung-location:${id}`;
  }

  private async rememberLocation(id: string, location: BankverbindungLocation): Promise<void> {
    await this.redis.set(this.locationKey(id), JSON.stringify(location));
  }

  private async forgetLocation(id: string): Promise<void> {
    await this.redis.del(this.locationKey(id));
  }

  private ref(id: string): string {
    return `${BANKVERBINDUNGEN_ENTITY}/${id}`;
  }
}
