import { Injectable, Logger } from '@nestjs/common';
import { EntityLock } from '../../core/lock/entity-lock.service.js';
import type { EntityEvent } from '../../core/queue/topic.js';
import { Step, queue, type QueueStep } from '../../core/steps/step.decorator.js';
import { BeteiligteTopics } from './beteiligte.jobs.js';
import {
  BeteiligteSyncService,
  ENTITY,
  type BeteiligteJob,
  type BeteiligteJobAction,
} from './beteiligte-sync.service.js';

const ACTIONS = new Set<string>(['create', 'update', 'delete']);

/**
 * Thin: one lock for all three topics (`beteiligte_sync:CBeteiligte:{id}`), then the service.
 *
 * Failures, two layers: Bull retries a transient error a few times within seconds
 * (JOB_ATTEMPTS, jittered backoff) — the clients already retried in-call. Only when
 * that is exhausted (or the error is permanent) does `onFailure` get `final` and
 * write DOMAIN.md's schedule onto the record: `failed` + `syncNextRetry` 1/5/15/60
 * minutes, `permanently_failed` on the fifth such run. The cron then picks the entity
 * up when `syncNextRetry` is due, and the handler skips it until then. So one
 * "failure" in the schedule is one whole job that Bull could not save.
 */
@Step({
  name: 'VMH Beteiligte Sync',
  description:
    'Two-way sync of a CBeteiligte with its Advoware party: master data, Kommunikation, Adressen',
  flows: ['vmh-beteiligte'],
  trigger: queue(BeteiligteTopics.Create, BeteiligteTopics.Update, BeteiligteTopics.Delete),
})
@Injectable()
export class BeteiligteSyncProcessor implements QueueStep<EntityEvent> {
  private readonly logger = new Logger(BeteiligteSyncProcessor.name);

  constructor(
    private readonly lock: EntityLock,
    private readonly sync: BeteiligteSyncService,
  ) {}

  handle(event: EntityEvent, job: { name: string }) {
    const action = (ACTIONS.has(job.name) ? job.name : 'update') as BeteiligteJobAction;
    const payload: BeteiligteJob = { action, ...event } as BeteiligteJob;
    return this.lock.runExclusive(
      { step: 'beteiligte_sync', entityType: ENTITY, entityId: event.entityId },
      payload,
      (p) => this.sync.run(p),
    );
  }

  async onFailure(
    event: EntityEvent,
    err: unknown,
    info: { final: boolean; attemptsMade: number },
  ): Promise<void> {
    if (!info.final || (event as Partial<BeteiligteJob>).action === 'delete') return;
    try {
      await this.sync.recordFailure(event.entityId, err);
    } catch (recordErr) {
      this.logger.error(
        `CBeteiligte/${event.entityId}: could not record the failure: ${(recordErr as Error).message}`,
      );
    }
  }
}
