import type { calendar_v3 } from 'googleapis';
import { PermanentUpstreamError } from '../../core/errors/upstream.errors.js';
import type {
  EventListResult,
  GoogleCalendarListEntry,
  GoogleEvent,
} from './google-calendar.types.js';

/** A runaway pageToken loop must end; 1000 pages of 1000 events is far beyond any calendar. */
const MAX_PAGES = 1000;

/** Every entry of `subject`'s calendar list; `fetchPage` is one `calendarList.list` call. */
export async function readCalendarListPages(
  subject: string,
  fetchPage: (pageToken: string | undefined) => Promise<{ data: calendar_v3.Schema$CalendarList }>,
): Promise<GoogleCalendarListEntry[]> {
  const out: GoogleCalendarListEntry[] = [];
  let pageToken: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const res = await fetchPage(pageToken);
    out.push(...(res.data.items ?? []));
    pageToken = res.data.nextPageToken ?? undefined;
    if (!pageToken) return out;
  }
  throw new PermanentUpstreamError(
    'google',
    `calendar list of ${subject} did not end after ${MAX_PAGES} pages`,
  );
}

/**
 * Every event of a list (each page) and the last page's `nextSyncToken`, which a
 * complete list must carry; `fetchPage` is one `events.list` call.
 */
export async function readEventPages(
  calendarId: string,
  fetchPage: (pageToken: string | undefined) => Promise<{ data: calendar_v3.Schema$Events }>,
): Promise<EventListResult> {
  const events: GoogleEvent[] = [];
  let pageToken: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const res = await fetchPage(pageToken);
    events.push(...(res.data.items ?? []));
    pageToken = res.data.nextPageToken ?? undefined;
    if (pageToken) continue;
    if (!res.data.nextSyncToken) {
      throw new PermanentUpstreamError(
        'google',
        `events.list of ${calendarId} ended without nextSyncToken`,
      );
    }
    return { events, nextSyncToken: res.data.nextSyncToken };
  }
  throw new PermanentUpstreamError(
    'google',
    `events.list of ${calendarId} did not end after ${MAX_PAGES} pages`,
  );
}
