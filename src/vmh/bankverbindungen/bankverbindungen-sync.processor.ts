import { Injectable, Logger } from '@nestjs/common';
import { EntityLock } from '../../core/lock/entity-lock.service.js';
import { Step, queue, type QueueStep } from '../../core/steps/step.decorator.js';
import { BeteiligteTopics } from '../beteiligte/beteiligte.jobs.js';
import { BankverbindungenSyncService } from './bankverbindungen-sync.service.js';
import {
  BANKVERBINDUNGEN_ENTITY,
  BANKVERBINDUNGEN_LOCK_STEP,
  BankverbindungenTopics,
  type BankverbindungEvent,
} from './bankverbindungen.jobs.js';

@Step({
  name: 'VMH Bankverbindungen Sync',
  description:
    'Brings a CBankverbindungen into Advoware below its party: validates IBAN/BIC first, waits for the party ' +
    'to have a betnr, creates or puts only what differs, one standard account per party; deletes and ' +
    'refusals become an EspoCRM Task',
  flows: ['vmh-bankverbindungen'],
  trigger: queue(
    BankverbindungenTopics.Create,
    BankverbindungenTopics.Update,
    BankverbindungenTopics.Delete,
  ),
  enqueues: [BankverbindungenTopics.Update, BeteiligteTopics.Update],
})
@Injectable()
export class BankverbindungenSyncProcessor implements QueueStep<BankverbindungEvent> {
  private readonly logger = new Logger(BankverbindungenSyncProcessor.name);

  constructor(
    private readonly sync: BankverbindungenSyncService,
    private readonly lock: EntityLock,
  ) {}

  /** One lock per account for every action: a delete never races a sync of the same account. */
  handle(event: BankverbindungEvent, job?: { name: string }) {
    // A delete event acts only once EspoCRM confirms the record is gone (the service checks).
    const fromDelete = job?.name === BankverbindungenTopics.Delete.job;
    return this.lock.runExclusive(
      {
        step: BANKVERBINDUNGEN_LOCK_STEP,
        entityType: BANKVERBINDUNGEN_ENTITY,
        entityId: event.entityId,
      },
      event,
      (e) => this.sync.sync(e, fromDelete),
    );
  }

  async onFailure(
    event: BankverbindungEvent,
    error: unknown,
    info: { final: boolean },
  ): Promise<void> {
    if (!info.final) return;
    await this.sync.recordFailure(event.entityId, error);
    this.logger.warn(`bankverbindung ${BANKVERBINDUNGEN_ENTITY}/${event.entityId} marked failed`);
  }
}
