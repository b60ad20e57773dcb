import { Injectable, Logger } from '@nestjs/common';
import { Step, cron } from '../../core/steps/step.decorator.js';
import { JobProducer } from '../../core/queue/job-producer.service.js';
import { EspoCrmClient } from '../../integrations/espocrm/espocrm.client.js';
import type { CBankverbindungen } from '../../integrations/espocrm/espocrm.types.js';
import { BANKVERBINDUNGEN_ENTITY, BankverbindungenTopics } from './bankverbindungen.jobs.js';

/**
 * The safety net for lost webhooks and exhausted retries: every account that is not
 * `clean` (`unclean`, `failed`, or never touched) gets a sync job, coalesced with any
 * event already waiting for it. Only ids are read; the sync decides.
 */
@Injectable()
export class BankverbindungenSyncCron {
  private readonly logger = new Logger(BankverbindungenSyncCron.name);

  constructor(
    private readonly espo: EspoCrmClient,
    private readonly producer: JobProducer,
  ) {}

  @Step({
    name: 'VMH Bankverbindungen Sync Check',
    description:
      'Enqueues a sync for every CBankverbindungen whose syncStatus is unclean, failed or empty',
    flows: ['vmh-bankverbindungen'],
    trigger: cron((config) => config.vmh.beteiligteSyncCron),
    enqueues: [BankverbindungenTopics.Update],
  })
  async tick(_tickTime: Date, traceId: string): Promise<{ enqueued: number; coalesced: number }> {
    const ids: string[] = [];
    const accounts = this.espo.listAll<CBankverbindungen>(BANKVERBINDUNGEN_ENTITY, {
      select: ['id', 'syncStatus'],
      where: [
        {
          type: 'or',
          value: [
            { type: 'in', attribute: 'syncStatus', value: ['unclean', 'failed', ''] },
            { type: 'isNull', attribute: 'syncStatus' },
          ],
        },
      ],
    });
    for await (const a of accounts) ids.push(a.id);
    const result = await this.producer.enqueue(
      BankverbindungenTopics.Update,
      ids.map((entityId) => ({ entityId, traceId })),
      { coalesceBy: (e) => e.entityId },
    );
    if (ids.length > 0) {
      this.logger.log(
        `bankverbindungen check: ${ids.length} not clean, ${result.enqueued} enqueued, ${result.coalesced} already waiting`,
      );
    }
    return result;
  }
}
