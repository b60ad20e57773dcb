import { describe, expect, it } from '@jest/globals';
import { newTestService } from '../../test/support/new-test-service.js';
import { testConfig } from '../../test/support/test-env.js';
import { UpstreamConflictError, UpstreamForbiddenError } from '../core/errors/upstream.errors.js';
import { AdvowareClient } from '../integrations/advoware/advoware.client.js';
import type { AdvowareTermin } from '../integrations/advoware/advoware.types.js';
import { GoogleCalendarClient } from '../integrations/google-calendar/google-calendar.client.js';
import type { GoogleEvent } from '../integrations/google-calendar/google-calendar.types.js';
import { recordOf } from './calendar-sync.state.js';
import { CalendarWriter, type CalendarRun } from './calendar-writer.service.js';
import { contentFromTermin, contentHash, eventBody, eventIdOfTermin } from './termin.mapper.js';

const DEPS = { advoware: AdvowareClient, google: GoogleCalendarClient };

function termin(over: Partial<AdvowareTermin> = {}): AdvowareTermin {
  return {
    frNr: 4711,
    datum: '2026-12-10',
    uhrzeitVon: '10:00',
    datumBis: '2026-12-10',
    uhrzeitBis: '11:00',
    text: 'Besprechung',
    kuerzel: 'MS',
    zuletztGeaendertAm: '2026-12-01T09:00:00Z',
    ...over,
  };
}

/** The event the hub wrote for `t` (linked, its hash stored), as Google answers it. */
function eventOf(t: AdvowareTermin, over: Partial<GoogleEvent> = {}): GoogleEvent {
  const { content } = contentFromTermin(t, { fullContent: true });
  return {
    ...eventBody(content, { frNr: t.frNr, hash: contentHash(content) }),
    id: eventIdOfTermin(t),
    etag: '"etag-1"',
    updated: '2026-12-01T08:00:00Z',
    ...over,
  };
}

function newRun(): CalendarRun {
  return {
    kuerzel: 'MS',
    subject: 'ms@example.test',
    calendarId: 'cal-ms',
    fullContent: true,
    records: new Map(),
    result: {
      kuerzel: 'MS',
      calendarId: 'cal-ms',
      mode: 'incremental',
      google: { created: 0, updated: 0, deleted: 0 },
      advoware: { created: 0, updated: 0, deleted: 0 },
      unchanged: 0,
      skipped: 0,
      failed: 0,
    },
  };
}

describe('CalendarWriter', () => {
  it('creates the event of a new Termin under its derived id', async () => {
    const { sut, mocks } = await newTestService(CalendarWriter, DEPS);
    const t = termin();
    mocks.google.insertEvent.mockImplementation((_s, _c, body) =>
      Promise.resolve(eventOf(t, body)),
    );
    const run = newRun();

    await sut.syncPair(run, { termin: t });

    expect(mocks.google.insertEvent).toHaveBeenCalledWith(
      'ms@example.test',
      'cal-ms',
      expect.objectContaining({ id: eventIdOfTermin(t) }),
    );
    expect(run.result.google.created).toBe(1);
    expect(run.records.has(eventIdOfTermin(t))).toBe(true);
  });

  it('Google create conflict (409 on events.insert): decides on the existing event instead', async () => {
    const { sut, mocks } = await newTestService(CalendarWriter, DEPS);
    const t = termin();
    mocks.google.insertEvent.mockRejectedValue(
      new UpstreamConflictError('google', 'The requested identifier already exists.'),
    );
    // Outside the snapshot but already as the hub would write it: nothing left to do.
    mocks.google.getEvent.mockResolvedValue(eventOf(t));
    const run = newRun();

    await sut.syncPair(run, { termin: t });

    expect(mocks.google.getEvent).toHaveBeenCalledWith(
      'ms@example.test',
      'cal-ms',
      eventIdOfTermin(t),
    );
    expect(mocks.google.insertEvent).toHaveBeenCalledTimes(1);
    expect(run.result).toMatchObject({ unchanged: 1, google: { created: 0, updated: 0 } });
    expect(run.records.get(eventIdOfTermin(t))?.frNr).toBe(String(t.frNr));
  });

  it('Google create conflict on a cancelled event: brings it back (restore), counted as created', async () => {
    const { sut, mocks } = await newTestService(CalendarWriter, DEPS, {
      config: testConfig({}, { CALENDAR_ADVOWARE_WRITE_ALLOWED: 'false' }),
    });
    const t = termin();
    mocks.google.insertEvent.mockRejectedValue(new UpstreamConflictError('google', 'exists'));
    mocks.google.getEvent.mockResolvedValue(eventOf(t, { status: 'cancelled' }));
    mocks.google.patchEvent.mockImplementation((_s, _c, id, body) =>
      Promise.resolve(eventOf(t, { ...body, id })),
    );
    const run = newRun();

    await sut.syncPair(run, { termin: t });

    expect(mocks.google.patchEvent).toHaveBeenCalledWith(
      'ms@example.test',
      'cal-ms',
      eventIdOfTermin(t),
      expect.objectContaining({ status: 'confirmed' }),
      { ifMatch: undefined },
    );
    expect(run.result.google.created).toBe(1);
  });

  it('Advoware 403 on delete: the Termin stays and the event deleted in Google comes back', async () => {
    const { sut, mocks } = await newTestService(CalendarWriter, DEPS, {
      config: testConfig({}, { CALENDAR_ADVOWARE_WRITE_ALLOWED: 'true' }),
    });
    const t = termin();
    const cancelled = recordOf(eventOf(t, { status: 'cancelled' }));
    mocks.advoware.deleteTermin.mockRejectedValue(
      new UpstreamForbiddenError('advoware', 'Keine Berechtigung'),
    );
    mocks.google.patchEvent.mockImplementation((_s, _c, id, body) =>
      Promise.resolve(eventOf(t, { ...body, id })),
    );
    const run = newRun();
    run.records.set(cancelled.id, cancelled);

    await sut.syncPair(run, { termin: t, record: cancelled });

    expect(mocks.advoware.deleteTermin).toHaveBeenCalledWith(t.frNr);
    expect(mocks.google.patchEvent).toHaveBeenCalledWith(
      'ms@example.test',
      'cal-ms',
      cancelled.id,
      expect.objectContaining({ status: 'confirmed' }),
      { ifMatch: undefined },
    );
    expect(run.result.advoware.deleted).toBe(0);
    expect(run.result.google.created).toBe(1);
    expect(run.records.get(cancelled.id)?.cancelled).toBe(false);
  });

  it('an event deleted in Google deletes its Termin when Advoware allows it', async () => {
    const { sut, mocks } = await newTestService(CalendarWriter, DEPS, {
      config: testConfig({}, { CALENDAR_ADVOWARE_WRITE_ALLOWED: 'true' }),
    });
    const t = termin();
    const cancelled = recordOf(eventOf(t, { status: 'cancelled' }));
    mocks.advoware.deleteTermin.mockResolvedValue(undefined);
    const run = newRun();
    run.records.set(cancelled.id, cancelled);

    await sut.syncPair(run, { termin: t, record: cancelled });

    expect(run.result.advoware.deleted).toBe(1);
    expect(run.records.has(cancelled.id)).toBe(false);
    expect(mocks.google.patchEvent).not.toHaveBeenCalled();
  });

  it('any other Advoware error on delete fails the pair (the run counts it)', async () => {
    const { sut, mocks } = await newTestService(CalendarWriter, DEPS, {
      config: testConfig({}, { CALENDAR_ADVOWARE_WRITE_ALLOWED: 'true' }),
    });
    const t = termin();
    const cancelled = recordOf(eventOf(t, { status: 'cancelled' }));
    mocks.advoware.deleteTermin.mockRejectedValue(new UpstreamConflictError('advoware', 'locked'));
    const run = newRun();

    await expect(sut.syncPair(run, { termin: t, record: cancelled })).rejects.toBeInstanceOf(
      UpstreamConflictError,
    );
    expect(mocks.google.patchEvent).not.toHaveBeenCalled();
  });
});
