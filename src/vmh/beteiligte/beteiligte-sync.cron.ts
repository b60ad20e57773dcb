import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '../../config/app-config.js';
import { Step, cron } from '../../core/steps/step.decorator.js';
import { WebhookIntake } from '../../core/webhook/webhook-intake.service.js';
import { EspoCrmClient } from '../../integrations/espocrm/espocrm.client.js';
import { espoDateTime } from '../../integrations/espocrm/espocrm-datetime.js';
import type { CBeteiligte } from '../../integrations/espocrm/espocrm.types.js';
import type { EspoWhereItem } from '../../integrations/espocrm/espocrm.types.js';
import { BeteiligteTopics } from './beteiligte.jobs.js';
import { ENTITY } from './beteiligte-sync.service.js';
import { autoResetFields } from './sync-status.js';

const BATCH = 200;

/** Which entities the periodic check looks at (pure, for the log and the tests). */
export function syncCheckWhere(now: Date, resyncCleanAfterHours: number): EspoWhereItem[] {
  const nowText = espoDateTime(now);
  const cleanBefore = espoDateTime(new Date(now.getTime() - resyncCleanAfterHours * 3_600_000));
  return [
    {
      type: 'or',
      value: [
        { type: 'in', attribute: 'syncStatus', value: ['pending_sync', 'dirty'] },
        {
          type: 'and',
          value: [
            { type: 'equals', attribute: 'syncStatus', value: 'failed' },
            { type: 'lessThanOrEqual', attribute: 'syncNextRetry', value: nowText },
          ],
        },
        {
          // Changes made only in Advoware send no webhook: synced entities are re-checked now
          // and then — `conflict` ones too, or an Advoware change after a conflict never arrives.
          type: 'and',
          value: [
            { type: 'in', attribute: 'syncStatus', value: ['clean', 'conflict'] },
            {
              type: 'or',
              value: [
                { type: 'isNull', attribute: 'advowareLastSync' },
                { type: 'lessThan', attribute: 'advowareLastSync', value: cleanBefore },
              ],
            },
          ],
        },
      ],
    },
  ];
}

/**
 * Only enqueues: resets due `permanently_failed` entities, then one coalesced update
 * check per entity that needs one. Ids are collected before anything is written, since
 * a write can move a record out of the query and shift the pages.
 */
@Injectable()
export class BeteiligteSyncCron {
  private readonly logger = new Logger(BeteiligteSyncCron.name);

  constructor(
    private readonly espocrm: EspoCrmClient,
    private readonly intake: WebhookIntake,
    private readonly config: AppConfig,
  ) {}

  @Step({
    name: 'VMH Beteiligte Sync Check',
    description: 'Periodic check: pending, dirty, due failed and long-unchecked clean CBeteiligte',
    flows: ['vmh-beteiligte'],
    trigger: cron((c) => c.vmh.beteiligteSyncCron),
    enqueues: [BeteiligteTopics.Update],
  })
  async tick(
    tickTime: Date,
    traceId: string,
  ): Promise<{ reset: number; enqueued: number; selected: number }> {
    const now = new Date(Math.max(tickTime.getTime(), Date.now()));
    const toReset: string[] = [];
    for await (const e of this.espocrm.listAll<CBeteiligte>(ENTITY, {
      where: [
        { type: 'equals', attribute: 'syncStatus', value: 'permanently_failed' },
        { type: 'lessThanOrEqual', attribute: 'syncAutoResetAt', value: espoDateTime(now) },
      ],
      select: ['id'],
    })) {
      toReset.push(e.id);
    }
    for (const id of toReset) await this.espocrm.update(ENTITY, id, { ...autoResetFields(now) });

    const ids = new Set<string>(toReset);
    for await (const e of this.espocrm.listAll<CBeteiligte>(ENTITY, {
      where: syncCheckWhere(now, this.config.vmh.resyncCleanAfterHours),
      select: ['id'],
    })) {
      ids.add(e.id);
    }
    const all = [...ids];
    let enqueued = 0;
    for (let i = 0; i < all.length; i += BATCH) {
      const events = all.slice(i, i + BATCH).map((entityId) => ({ entityId, traceId }));
      enqueued += (await this.intake.enqueue(BeteiligteTopics.Update, events)).enqueued;
    }
    this.logger.log(
      `Beteiligte sync check: ${toReset.length} auto-reset, ${all.length} selected, ${enqueued} enqueued`,
    );
    return { reset: toReset.length, enqueued, selected: all.length };
  }
}
