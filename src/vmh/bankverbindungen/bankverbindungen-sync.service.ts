import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '../../config/app-config.js';
import {
  TransientUpstreamError,
  UpstreamForbiddenError,
  UpstreamNotFoundError,
} from '../../core/errors/upstream.errors.js';
import { JobProducer, QueueUnavailableError } from '../../core/queue/job-producer.service.js';
import type { EntityEvent, Topic } from '../../core/queue/topic.js';
import { AdvowareClient } from '../../integrations/advoware/advoware.client.js';
import type { AdvowareBankverbindung } from '../../integrations/advoware/advoware.types.js';
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
  missingInAdvowareTask,
  selectStandardAccount,
  standardCorrections,
  validateAccount,
  writeRefusedTask,
  type BankverbindungDecision,
} from './bankverbindungen.mapper.js';
import { BankverbindungLocationStore } from './bankverbindung-location.store.js';
import {
  BankverbindungenDeleteService,
  type DeleteOutcome,
} from './bankverbindungen-delete.service.js';
import { BankverbindungenRecords } from './bankverbindungen-records.service.js';

export type BankverbindungOutcome =
  | 'created'
  | 'updated'
  | 'no_change'
  | 'invalid'
  | 'waiting_for_party'
  | 'refused'
  | 'missing_in_advoware'
  | DeleteOutcome
  | 'delete_dropped';

/** A valid account whose party has a betnr: what the Advoware side is decided on. */
interface SyncSubject {
  account: CBankverbindungen;
  iban: string;
  bic: string;
  party: CBeteiligte;
  betnr: number;
}

type Written = { kontoId: number; outcome: 'created' | 'updated' | 'no_change' };

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
    private readonly records: BankverbindungenRecords,
    private readonly locations: BankverbindungLocationStore,
    private readonly deletes: BankverbindungenDeleteService,
  ) {}

  /**
   * `fromDelete`: the event came from the delete webhook. That is only a claim: the
   * delete is acted on when EspoCRM confirms it (404 or `deleted`); for a record that
   * still exists the event is logged and dropped, with no Task and no write.
   */
  async sync(event: BankverbindungEvent, fromDelete = false): Promise<BankverbindungOutcome> {
    const id = event.entityId;
    const account = await this.records.find<CBankverbindungen>(BANKVERBINDUNGEN_ENTITY, id);
    if (!account || account.deleted === true) return this.deletes.handleDeleted(id, account);
    if (fromDelete) {
      this.logger.warn(
        `bankverbindung ${ref(id)} delete webhook dropped: EspoCRM still has the record (not deleted)`,
      );
      return 'delete_dropped';
    }
    const checked = await this.checkAccount(account);
    if (checked.kind === 'invalid') return 'invalid';
    if (checked.kind === 'no_betnr') return this.waitForParty(event, account, checked.party);
    const subject = checked.subject;

    const siblings = await this.records.partyAccounts(subject.party.id, account);
    const isStandard = selectStandardAccount(siblings) === account.id;
    const advowareList = await this.advowareAccounts(subject);
    if (!advowareList) return 'invalid';

    const decision = decideBankverbindungSync(account, subject, isStandard, advowareList);
    const written = await this.writeAdvoware(subject, decision);
    if (typeof written === 'string') return written;

    await this.records.markClean(account, written.kontoId, written.outcome !== 'no_change');
    const { party, betnr, iban } = subject;
    await this.locations.remember(id, {
      beteiligteId: party.id,
      betnr,
      kontoId: written.kontoId,
      iban,
    });
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
      `bankverbindung ${ref(id)} synced: ${written.outcome} Advoware konto ${written.kontoId} of Beteiligte ${betnr}${detail}` +
        (isStandard ? ', standard' : '') +
        (corrections.length > 0
          ? `, standard flag to fix on ${corrections.length} other account(s)`
          : ''),
    );
    return written.outcome;
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

  /** A valid IBAN and a linked party that exists; an account that can never be sent is marked failed. */
  private async checkAccount(
    account: CBankverbindungen,
  ): Promise<
    | { kind: 'ready'; subject: SyncSubject }
    | { kind: 'no_betnr'; party: CBeteiligte }
    | { kind: 'invalid' }
  > {
    const valid = validateAccount(account);
    if (!valid.ok) {
      await this.records.markFailed(account, valid.message);
      this.logger.warn(`bankverbindung ${ref(account.id)} not sent: ${valid.message}`);
      return { kind: 'invalid' };
    }
    if (!account.beteiligteId) {
      await this.records.markFailed(
        account,
        'Kein Beteiligter verknüpft: die Bankverbindung gehört zu keinem Beteiligten',
      );
      this.logger.warn(`bankverbindung ${ref(account.id)} not sent: no party linked`);
      return { kind: 'invalid' };
    }
    const party = await this.records.find<CBeteiligte>('CBeteiligte', account.beteiligteId);
    if (!party) {
      await this.records.markFailed(
        account,
        `Beteiligter ${account.beteiligteId} existiert in EspoCRM nicht`,
      );
      this.logger.warn(
        `bankverbindung ${ref(account.id)} not sent: party ${account.beteiligteId} not found`,
      );
      return { kind: 'invalid' };
    }
    if (party.betnr === null || party.betnr === undefined) return { kind: 'no_betnr', party };
    const subject = {
      account,
      iban: valid.iban,
      bic: valid.bic,
      party,
      betnr: Number(party.betnr),
    };
    return { kind: 'ready', subject };
  }

  /** The party's accounts in Advoware; undefined (record marked failed) when Advoware has no such Beteiligte. */
  private async advowareAccounts(s: SyncSubject): Promise<AdvowareBankverbindung[] | undefined> {
    try {
      return await this.advoware.listBankverbindungen(s.betnr);
    } catch (err) {
      if (!(err instanceof UpstreamNotFoundError)) throw err;
      await this.records.markFailed(
        s.account,
        `Beteiligter ${s.betnr} existiert in Advoware nicht`,
      );
      this.logger.warn(
        `bankverbindung ${ref(s.account.id)} not sent: Advoware has no Beteiligte ${s.betnr}`,
      );
      return undefined;
    }
  }

  /** Carries out the decision in Advoware; a gone account or Advoware's refusal ends as a Task. */
  private async writeAdvoware(
    s: SyncSubject,
    decision: BankverbindungDecision,
  ): Promise<Written | 'missing_in_advoware' | 'refused'> {
    const id = s.account.id;
    try {
      switch (decision.action) {
        case 'missing_in_advoware': {
          const task = missingInAdvowareTask(decision.kontoId, s.betnr, s.iban);
          await this.records.ensureTask(BANKVERBINDUNGEN_ENTITY, id, task, s.party.assignedUserId);
          await this.records.markFailed(
            s.account,
            `Advoware-Bankverbindung ${decision.kontoId} fehlt; Aufgabe erstellt`,
          );
          this.logger.warn(
            `bankverbindung ${ref(id)}: Advoware konto ${decision.kontoId} is gone, task created`,
          );
          return 'missing_in_advoware';
        }
        case 'create': {
          const created = await this.advoware.createBankverbindung(s.betnr, decision.data);
          return { kontoId: Number(created.id), outcome: 'created' };
        }
        case 'update':
          await this.advoware.updateBankverbindung(s.betnr, decision.kontoId, decision.data);
          return { kontoId: decision.kontoId, outcome: 'updated' };
        case 'no_change':
          return { kontoId: decision.kontoId, outcome: 'no_change' };
      }
    } catch (err) {
      // Only Advoware's refusal becomes a Task; EspoCRM refusing the Task itself is a real failure.
      if (!(err instanceof UpstreamForbiddenError) || err.system !== 'advoware') throw err;
      const operation = decision.action === 'create' ? 'create' : 'update';
      const reason = err.reason ?? 'HTTP 403';
      const created = await this.records.ensureTask(
        BANKVERBINDUNGEN_ENTITY,
        id,
        writeRefusedTask(operation, s.iban, s.betnr, reason),
        s.party.assignedUserId,
      );
      await this.records.markFailed(
        s.account,
        `Advoware hat das ${operation === 'create' ? 'Anlegen' : 'Ändern'} abgelehnt (${reason}); Aufgabe erstellt`,
      );
      this.logger.warn(
        `bankverbindung ${ref(id)}: Advoware refused the ${operation} (${reason}), ` +
          (created ? 'task created' : 'task already open'),
      );
      return 'refused';
    }
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
        `bankverbindung ${ref(event.entityId)} still waiting for party ${party.id} after ${round} rounds; left to the cron`,
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
      `bankverbindung ${ref(event.entityId)} waits for party ${party.id} (no betnr yet); next look in ${delayMs} ms`,
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
}

function ref(id: string): string {
  return `${BANKVERBINDUNGEN_ENTITY}/${id}`;
}
