import { defineTopic, type JobPayload } from '../core/queue/topic.js';
import type { StepLock } from '../core/steps/step.decorator.js';

/** The Bull queue of the calendar sync (as the dashboard shows it). */
export const CalendarQueue = 'calendar-sync';

/** One employee's calendar sync; jobs for the same kuerzel coalesce while waiting. */
export interface CalendarSyncPayload extends JobPayload {
  kuerzel: string;
  /** false: Google gets only "Termin" and the times. */
  fullContent: boolean;
}

const KUERZEL = /^[A-Za-z0-9_.-]{1,20}$/;

export function validateCalendarSyncPayload(data: Record<string, unknown>): string | undefined {
  if (typeof data.kuerzel !== 'string' || !KUERZEL.test(data.kuerzel))
    return 'data.kuerzel must be an Advoware kuerzel';
  if (typeof data.fullContent !== 'boolean') return 'data.fullContent must be a boolean';
  return undefined;
}

export const CalendarTopics = {
  SyncEmployee: defineTopic<CalendarSyncPayload>('calendar.sync.employee', {
    queue: CalendarQueue,
    validate: validateCalendarSyncPayload,
  }),
};

/** One run per employee at a time: `calendar_sync:employee:{kuerzel}`. */
export const CalendarLock: StepLock<CalendarSyncPayload> = {
  step: 'calendar_sync',
  entityTypes: ['employee'],
  key: (p) => ({ entityType: 'employee', entityId: p.kuerzel }),
};

export const KUERZEL_PATTERN = KUERZEL;
