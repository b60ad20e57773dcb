import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { Step, cron } from '../core/steps/step.decorator.js';
import { CalendarTopics } from './calendar.jobs.js';
import { CalendarSyncService } from './calendar-sync.service.js';

@Injectable()
export class CalendarSyncCron {
  private readonly logger = new Logger(CalendarSyncCron.name);

  constructor(
    private readonly config: AppConfig,
    private readonly sync: CalendarSyncService,
  ) {}

  @Step({
    name: 'Calendar Sync Cron',
    description:
      'Every 15 minutes: one calendar sync job per employee (only with CALENDAR_SYNC_ENABLED)',
    flows: ['calendar-sync'],
    trigger: cron((config) => config.calendar.cron),
    enqueues: [CalendarTopics.SyncEmployee],
  })
  async tick(_tickTime: Date, traceId: string): Promise<unknown> {
    if (!this.config.calendar.enabled) return { status: 'disabled' };
    const result = await this.sync.trigger('ALL', this.config.calendar.fullContent, traceId);
    this.logger.log(`calendar sync tick: ${result.jobs} employee job(s)`);
    return result;
  }
}
