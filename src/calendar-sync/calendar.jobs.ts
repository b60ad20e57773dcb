import { defineTopic, type JobPayload } from '../core/queue/topic.js';

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
  SyncEmployee: defineTopic<CalendarSyncPayload>(
    'calendar.sync.employee',
    validateCalendarSyncPayload,
  ),
};

/** `EntityLock` key parts: `calendar_sync:employee:{kuerzel}`. */
export const CALENDAR_LOCK = { step: 'calendar_sync', entityType: 'employee' } as const;

export const KUERZEL_PATTERN = KUERZEL;
