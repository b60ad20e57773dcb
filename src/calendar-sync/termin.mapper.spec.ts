import type { AdvowareTermin } from '../integrations/advoware/advoware.types.js';
import {
  contentFromEvent,
  contentFromTermin,
  contentHash,
  eventBody,
  frNrOfEvent,
  terminFieldsFromContent,
} from './termin.mapper.js';

const termin = (over: Partial<AdvowareTermin>): AdvowareTermin => ({
  frNr: 4711,
  datum: '2025-06-02',
  ...over,
});

describe('contentFromTermin: times', () => {
  it.each([
    [
      'a timed appointment (summer)',
      { uhrzeitVon: '10:00:00', datumBis: '2025-06-02', uhrzeitBis: '11:30:00' },
      false,
      '2025-06-02T08:00:00Z',
      '2025-06-02T09:30:00Z',
    ],
    [
      'missing start time means 09:00 Berlin',
      { datumBis: '2025-06-02', uhrzeitBis: '10:00:00' },
      false,
      '2025-06-02T07:00:00Z',
      '2025-06-02T08:00:00Z',
    ],
    [
      'missing start and end time: 09:00 for an hour',
      { datum: '2025-01-10T00:00:00' },
      false,
      '2025-01-10T08:00:00Z',
      '2025-01-10T09:00:00Z',
    ],
    [
      'HH:mm without seconds',
      { uhrzeitVon: '14:15', uhrzeitBis: '15:00' },
      false,
      '2025-06-02T12:15:00Z',
      '2025-06-02T13:00:00Z',
    ],
    [
      'multi-day keeps its whole length (no 24 h cap)',
      { uhrzeitVon: '09:30:00', datumBis: '2025-06-04', uhrzeitBis: '17:00:00' },
      false,
      '2025-06-02T07:30:00Z',
      '2025-06-04T15:00:00Z',
    ],
    [
      'across the spring DST change',
      {
        datum: '2025-03-29',
        uhrzeitVon: '12:00:00',
        datumBis: '2025-03-30',
        uhrzeitBis: '12:00:00',
      },
      false,
      '2025-03-29T11:00:00Z',
      '2025-03-30T10:00:00Z',
    ],
    [
      'on the autumn DST change day',
      {
        datum: '2025-10-26',
        uhrzeitVon: '01:00:00',
        datumBis: '2025-10-26',
        uhrzeitBis: '04:00:00',
      },
      false,
      '2025-10-25T23:00:00Z',
      '2025-10-26T03:00:00Z',
    ],
    [
      'end before start → one hour',
      { uhrzeitVon: '10:00:00', uhrzeitBis: '08:00:00' },
      false,
      '2025-06-02T08:00:00Z',
      '2025-06-02T09:00:00Z',
    ],
    ['all-day', { datumBis: '2025-06-02', dauertermin: true }, true, '2025-06-02', '2025-06-03'],
    [
      'all-day over several days',
      { datumBis: '2025-06-06T00:00:00', dauertermin: true, uhrzeitVon: '00:00:00' },
      true,
      '2025-06-02',
      '2025-06-07',
    ],
    [
      'datumBis before datum is ignored',
      { datumBis: '2025-05-01', dauertermin: true },
      true,
      '2025-06-02',
      '2025-06-03',
    ],
  ] as const)('%s', (_n, over, allDay, start, end) => {
    const { content } = contentFromTermin(termin(over), { fullContent: true });
    expect(content).toMatchObject({ allDay, start, end });
  });
});

describe('contentFromTermin: text and privacy', () => {
  const t = termin({
    text: ' Mandantengespräch ',
    notiz: 'Akte mitbringen\n[GCAL:abc12345]',
    ort: 'Raum 1',
    uhrzeitVon: '10:00',
  });

  it('maps text/notiz/ort to summary/description/location without the GCAL marker', () => {
    expect(contentFromTermin(t, { fullContent: true }).content).toMatchObject({
      summary: 'Mandantengespräch',
      description: 'Akte mitbringen',
      location: 'Raum 1',
    });
  });

  it('gives Google only "Termin" and the times in privacy mode', () => {
    const full = contentFromTermin(t, { fullContent: true }).content;
    const redacted = contentFromTermin(t, { fullContent: false }).content;
    expect(redacted).toEqual({ ...full, summary: 'Termin', description: '', location: '' });
  });
});

describe('contentFromTermin: recurrence', () => {
  it.each([
    [
      'weekly, open-ended: one occurrence on datum',
      { turnus: 1, turnusArt: 2, uhrzeitVon: '16:00', uhrzeitBis: '17:00', datumBis: '2025-06-02' },
      'RRULE:FREQ=WEEKLY',
      '2025-06-02T15:00:00Z',
    ],
    [
      'every 2 days until datumBis',
      { turnus: 2, turnusArt: 1, uhrzeitVon: '16:00', uhrzeitBis: '17:00', datumBis: '2025-06-30' },
      'RRULE:FREQ=DAILY;INTERVAL=2;UNTIL=20250630T215959Z',
      '2025-06-02T15:00:00Z',
    ],
    [
      'unsupported turnusArt → single appointment',
      { turnus: 1, turnusArt: 9, uhrzeitVon: '16:00', uhrzeitBis: '17:00', datumBis: '2025-06-02' },
      null,
      '2025-06-02T15:00:00Z',
    ],
  ] as const)('%s', (_n, over, rrule, end) => {
    const { content, warnings } = contentFromTermin(termin(over), { fullContent: true });
    expect(content.recurrence).toBe(rrule);
    expect(content.end).toBe(end);
    expect(warnings.length).toBe(rrule === null ? 1 : 0);
  });
});

describe('Google round trip', () => {
  const samples: Array<[string, Partial<AdvowareTermin>]> = [
    [
      'timed',
      { text: 'A', uhrzeitVon: '10:00:00', datumBis: '2025-06-02', uhrzeitBis: '11:00:00' },
    ],
    [
      'multi-day over DST',
      {
        text: 'B',
        datum: '2025-10-25',
        uhrzeitVon: '22:00:00',
        datumBis: '2025-10-27',
        uhrzeitBis: '06:00:00',
      },
    ],
    ['all-day over 3 days', { text: 'C', datumBis: '2025-06-04', dauertermin: true }],
    [
      'weekly series until a date',
      {
        text: 'D',
        turnus: 1,
        turnusArt: 2,
        uhrzeitVon: '08:00:00',
        uhrzeitBis: '09:00:00',
        datumBis: '2025-12-01',
      },
    ],
    [
      'yearly all-day series',
      { text: 'E', turnus: 1, turnusArt: 4, dauertermin: true, datumBis: '2025-06-02' },
    ],
  ];

  it.each(samples)('%s: event body reads back to the same content and hash', (_n, over) => {
    const { content } = contentFromTermin(termin(over), { fullContent: true });
    const body = eventBody(content, { frNr: 4711, hash: contentHash(content) });
    const asStored = JSON.parse(JSON.stringify({ ...body, id: 'adv04711' })) as typeof body;
    expect(contentFromEvent(asStored)).toEqual(content);
    expect(frNrOfEvent(asStored)).toBe('4711');
  });

  it.each(samples)(
    '%s: Advoware fields from the content give the same content again',
    (_n, over) => {
      const { content } = contentFromTermin(termin(over), { fullContent: true });
      const fields = terminFieldsFromContent(content);
      expect(fields.type).toBe('supported');
      if (fields.type !== 'supported') return;
      const again = contentFromTermin(
        { frNr: 4711, datum: '', ...fields.fields } as AdvowareTermin,
        { fullContent: true },
      );
      expect(again.content).toEqual(content);
    },
  );

  it('reads a Google event written with a bare wall-clock time in Berlin', () => {
    const content = contentFromEvent({
      id: 'x1234',
      start: { dateTime: '2025-03-30T03:00:00', timeZone: 'Europe/Berlin' },
      end: { dateTime: '2025-03-30T04:00:00Z' },
    });
    expect(content.start).toBe('2025-03-30T01:00:00Z');
    expect(content.end).toBe('2025-03-30T04:00:00Z');
  });
});
