import { describe, expect, it } from '@jest/globals';
import { newTestService } from '../../test/support/new-test-service.js';
import { TransientUpstreamError, UpstreamNotFoundError } from '../core/errors/upstream.errors.js';
import { GoogleCalendarClient } from '../integrations/google-calendar/google-calendar.client.js';
import { SyncTokenExpiredError } from '../integrations/google-calendar/google-calendar.types.js';
import { CalendarSnapshotReader, calendarMarker } from './calendar-snapshot.reader.js';
import { CalendarSyncState, recordOf } from './calendar-sync.state.js';

const DEPS = { google: GoogleCalendarClient, state: CalendarSyncState };
const WINDOW = {
  from: '2026-11-01',
  to: '2026-12-31',
  startMs: Date.parse('2026-10-31T23:00:00Z'),
  endMs: Date.parse('2026-12-31T23:00:00Z'),
};
const EVENT = {
  id: 'ev-1',
  status: 'confirmed',
  summary: 'Frei',
  start: { dateTime: '2026-12-10T10:00:00+01:00' },
  end: { dateTime: '2026-12-10T11:00:00+01:00' },
};

async function setup() {
  const t = await newTestService(CalendarSnapshotReader, DEPS);
  t.mocks.state.calendarId.mockResolvedValue('cal-old');
  t.mocks.state.load.mockResolvedValue({
    syncToken: 'token-1',
    records: new Map(),
    raw: new Map(),
  });
  t.mocks.google.listEventsFull.mockResolvedValue({ events: [EVENT], nextSyncToken: 'token-2' });
  return t;
}

describe('CalendarSnapshotReader', () => {
  it('reads the changes since the saved sync token into the saved snapshot', async () => {
    const { sut, mocks } = await setup();
    mocks.google.listEventsIncremental.mockResolvedValue({
      events: [EVENT],
      nextSyncToken: 'token-2',
    });

    const snap = await sut.read('MS', 'ms@example.test', WINDOW);

    expect(snap).toMatchObject({
      calendarId: 'cal-old',
      mode: 'incremental',
      nextSyncToken: 'token-2',
    });
    expect(snap.records.get('ev-1')).toEqual(recordOf(EVENT));
    expect(mocks.google.listEventsFull).not.toHaveBeenCalled();
  });

  it('an expired sync token (410): a full listing over the window', async () => {
    const { sut, mocks } = await setup();
    mocks.google.listEventsIncremental.mockRejectedValue(new SyncTokenExpiredError('cal-old'));

    const snap = await sut.read('MS', 'ms@example.test', WINDOW);

    expect(snap).toMatchObject({ calendarId: 'cal-old', mode: 'full' });
    // A full listing replaces the saved snapshot: nothing to diff against.
    expect(snap.previous).toBeUndefined();
    expect(mocks.google.listEventsFull).toHaveBeenCalledWith('ms@example.test', 'cal-old', {
      timeMin: '2026-10-31T23:00:00.000Z',
      timeMax: '2026-12-31T23:00:00.000Z',
    });
    expect(mocks.state.forget).not.toHaveBeenCalled();
  });

  it('the calendar gone (404): forgotten, created again with the marker, listed in full', async () => {
    const { sut, mocks } = await setup();
    mocks.google.listEventsIncremental.mockRejectedValue(
      new UpstreamNotFoundError('google', 'calendar not found'),
    );
    mocks.state.calendarId.mockResolvedValueOnce('cal-old').mockResolvedValueOnce(null);
    mocks.google.listCalendars.mockResolvedValue([]);
    mocks.google.insertCalendar.mockResolvedValue({ id: 'cal-new' });

    const snap = await sut.read('MS', 'ms@example.test', WINDOW);

    expect(mocks.state.forget).toHaveBeenCalledWith('MS', 'cal-old');
    expect(mocks.google.insertCalendar).toHaveBeenCalledWith(
      'ms@example.test',
      expect.objectContaining({ description: expect.stringContaining(calendarMarker('MS')) }),
    );
    expect(mocks.state.setCalendarId).toHaveBeenCalledWith('MS', 'cal-new');
    expect(snap).toMatchObject({ calendarId: 'cal-new', mode: 'full' });
    expect(mocks.google.listEventsFull).toHaveBeenCalledWith(
      'ms@example.test',
      'cal-new',
      expect.anything(),
    );
  });

  it('any other error of the incremental list fails the read', async () => {
    const { sut, mocks } = await setup();
    mocks.google.listEventsIncremental.mockRejectedValue(
      new TransientUpstreamError('google', 'HTTP 503'),
    );

    await expect(sut.read('MS', 'ms@example.test', WINDOW)).rejects.toBeInstanceOf(
      TransientUpstreamError,
    );
    expect(mocks.google.listEventsFull).not.toHaveBeenCalled();
  });
});
