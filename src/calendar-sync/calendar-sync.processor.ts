import { Injectable } from '@nestjs/common';
import { EntityLock } from '../core/lock/entity-lock.service.js';
import { Step, queue, type QueueStep } from '../core/steps/step.decorator.js';
import { CALENDAR_LOCK, CalendarTopics, type CalendarSyncPayload } from './calendar.jobs.js';
import { CalendarSyncService } from './calendar-sync.service.js';

@Step({
  name: 'Calendar Sync Employee',
  description: "Syncs one employee's Advoware Termine with their Google calendar, both ways",
  flows: ['calendar-sync'],
  trigger: queue(CalendarTopics.SyncEmployee),
})
@Injectable()
export class CalendarSyncProcessor implements QueueStep<CalendarSyncPayload> {
  constructor(
    private readonly sync: CalendarSyncService,
    private readonly lock: EntityLock,
  ) {}

  /** A run for the same employee in progress: this one becomes its trailing run (EntityLock). */
  handle(payload: CalendarSyncPayload) {
    return this.lock.runExclusive({ ...CALENDAR_LOCK, entityId: payload.kuerzel }, payload, (p) =>
      this.sync.syncEmployee(p.kuerzel, p.fullContent),
    );
  }
}
