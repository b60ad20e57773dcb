import { Logger } from '@nestjs/common';
import { OnFinalFailure, Process, Processor } from '../../core/queue/processor.decorator.js';
import type { EntityEvent } from '../../core/queue/topic.js';
import { Step } from '../../core/steps/step.decorator.js';
import { BeteiligteLock, BeteiligteQueue, BeteiligteTopics } from './beteiligte.jobs.js';
import {
  BeteiligteSyncService,
  type BeteiligteJob,
  type BeteiligteJobAction,
} from './beteiligte-sync.service.js';

/** The action travels in the payload: a trailing run may come from another topic. */
const withAction =
  (action: BeteiligteJobAction) =>
  (event: EntityEvent): BeteiligteJob =>
    ({ action, ...event }) as BeteiligteJob;

/**
 * Failures, two layers: Bull retries a transient error a few times within seconds
 * (JOB_ATTEMPTS, jittered backoff) — the clients already retried in-call. Only when
 * that is exhausted (or the error is permanent) does `recordFailure` run and
 * write DOMAIN.md's schedule onto the record: `failed` + `syncNextRetry` 1/5/15/60
 * minutes, `permanently_failed` on the fifth such run. The cron then picks the entity
 * up when `syncNextRetry` is due, and the handler skips it until then. So one
 * "failure" in the schedule is one whole job that Bull could not save.
 */
@Processor(BeteiligteQueue)
export class BeteiligteSyncProcessor {
  private readonly logger = new Logger(BeteiligteSyncProcessor.name);

  constructor(private readonly sync: BeteiligteSyncService) {}

  @Step({
    name: 'VMH Beteiligte Sync',
    description:
      'Two-way sync of a CBeteiligte with its Advoware party: master data, Kommunikation, Adressen',
    flows: ['vmh-beteiligte'],
  })
  @Process(BeteiligteTopics.Create, { lock: BeteiligteLock, payload: withAction('create') })
  @Process(BeteiligteTopics.Update, { lock: BeteiligteLock, payload: withAction('update') })
  @Process(BeteiligteTopics.Delete, { lock: BeteiligteLock, payload: withAction('delete') })
  run(job: BeteiligteJob): Promise<void> {
    return this.sync.run(job);
  }

  // A delete's failure is not recorded: the record is gone from EspoCRM (or the
  // delete was dropped because it is not), so there is nothing to write it on.
  @OnFinalFailure(BeteiligteTopics.Create, BeteiligteTopics.Update)
  async recordFailure(event: EntityEvent, err: unknown): Promise<void> {
    try {
      await this.sync.recordFailure(event.entityId, err);
    } catch (recordErr) {
      this.logger.error(
        `CBeteiligte/${event.entityId}: could not record the failure: ${(recordErr as Error).message}`,
      );
    }
  }
}
