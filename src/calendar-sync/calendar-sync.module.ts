import { Module } from '@nestjs/common';
import { registerTopicQueues } from '../core/queue/queue-names.js';
import { AdvowareModule } from '../integrations/advoware/advoware.module.js';
import { GoogleCalendarModule } from '../integrations/google-calendar/google-calendar.module.js';
import { CalendarTopics } from './calendar.jobs.js';
import { CalendarSyncController } from './calendar-sync.controller.js';
import { CalendarSyncCron } from './calendar-sync.cron.js';
import { CalendarSyncProcessor } from './calendar-sync.processor.js';
import { CalendarSyncService } from './calendar-sync.service.js';
import { CalendarSyncState } from './calendar-sync.state.js';
import { CalendarSnapshotReader } from './calendar-snapshot.reader.js';
import { CalendarWriter } from './calendar-writer.service.js';

@Module({
  imports: [registerTopicQueues(CalendarTopics.SyncEmployee), AdvowareModule, GoogleCalendarModule],
  controllers: [CalendarSyncController],
  providers: [
    CalendarSyncService,
    CalendarSnapshotReader,
    CalendarWriter,
    CalendarSyncState,
    CalendarSyncProcessor,
    CalendarSyncCron,
  ],
  exports: [CalendarSyncService],
})
export class CalendarSyncModule {}
