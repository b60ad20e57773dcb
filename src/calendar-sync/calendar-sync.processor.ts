import { Process, Processor } from '../core/queue/processor.decorator.js';
import { Step } from '../core/steps/step.decorator.js';
import {
  CalendarLock,
  CalendarQueue,
  CalendarTopics,
  type CalendarSyncPayload,
} from './calendar.jobs.js';
import { CalendarSyncService } from './calendar-sync.service.js';

@Processor(CalendarQueue)
export class CalendarSyncProcessor {
  constructor(private readonly sync: CalendarSyncService) {}

  /** A run for the same employee in progress: this one becomes its trailing run. */
  @Step({
    name: 'Calendar Sync Employee',
    description: "Syncs one employee's Advoware Termine with their Google calendar, both ways",
    flows: ['calendar-sync'],
  })
  @Process(CalendarTopics.SyncEmployee, { lock: CalendarLock })
  syncEmployee(p: CalendarSyncPayload) {
    return this.sync.syncEmployee(p.kuerzel, p.fullContent);
  }
}
