import { Logger } from '@nestjs/common';
import { OnFinalFailure, Process, Processor } from '../../core/queue/processor.decorator.js';
import { Step, type JobInfo } from '../../core/steps/step.decorator.js';
import { BeteiligteTopics } from '../beteiligte/beteiligte.jobs.js';
import { BankverbindungenSyncService } from './bankverbindungen-sync.service.js';
import {
  BANKVERBINDUNGEN_ENTITY,
  BankverbindungenLock,
  BankverbindungenQueue,
  BankverbindungenTopics,
  type BankverbindungEvent,
} from './bankverbindungen.jobs.js';

@Processor(BankverbindungenQueue)
export class BankverbindungenSyncProcessor {
  private readonly logger = new Logger(BankverbindungenSyncProcessor.name);

  constructor(private readonly sync: BankverbindungenSyncService) {}

  @Step({
    name: 'VMH Bankverbindungen Sync',
    description:
      'Brings a CBankverbindungen into Advoware below its party: validates IBAN/BIC first, waits for the party ' +
      'to have a betnr, creates or puts only what differs, one standard account per party; deletes and ' +
      'refusals become an EspoCRM Task',
    flows: ['vmh-bankverbindungen'],
    enqueues: [BankverbindungenTopics.Update, BeteiligteTopics.Update],
  })
  @Process(BankverbindungenTopics.Create, { lock: BankverbindungenLock })
  @Process(BankverbindungenTopics.Update, { lock: BankverbindungenLock })
  @Process(BankverbindungenTopics.Delete, { lock: BankverbindungenLock })
  run(event: BankverbindungEvent, job: JobInfo) {
    // A delete event acts only once EspoCRM confirms the record is gone (the service checks).
    return this.sync.sync(event, job.name === BankverbindungenTopics.Delete.job);
  }

  @OnFinalFailure()
  async recordFailure(event: BankverbindungEvent, error: unknown): Promise<void> {
    await this.sync.recordFailure(event.entityId, error);
    this.logger.warn(`bankverbindung ${BANKVERBINDUNGEN_ENTITY}/${event.entityId} marked failed`);
  }
}
