import type { AdvowareTermin } from '../integrations/advoware/advoware.types.js';
import {
  type EventContent,
  advowarePatch,
  advowareTimestamp,
  contentFromEvent,
  contentFromTermin,
  contentHash,
  eventBody,
  eventIdOfTermin,
  frNrOfEvent,
  stripGcalMarker,
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

describe('terminFieldsFromContent', () => {
  const base: EventContent = {
    summary: 'S',
    description: 'D',
    location: 'L',
    allDay: false,
    start: '2025-06-02T08:00:00Z',
    end: '2025-06-02T09:00:00Z',
    recurrence: null,
  };

  it('marks appointments created in Google with [GCAL:<id>] in notiz', () => {
    const out = terminFieldsFromContent(base, 'c4ho6or1ck9n0');
    expect(out).toMatchObject({
      type: 'supported',
      fields: {
        notiz: 'D\n[GCAL:c4ho6or1ck9n0]',
        text: 'S',
        ort: 'L',
        uhrzeitVon: '10:00:00',
        uhrzeitBis: '11:00:00',
        datum: '2025-06-02T00:00:00',
        turnus: 0,
        turnusArt: 0,
      },
    });
  });

  it.each([
    ['a recurrence Advoware cannot hold', { recurrence: 'RRULE:FREQ=WEEKLY;BYDAY=MO,TU' }],
    [
      'a series of multi-day occurrences',
      { recurrence: 'RRULE:FREQ=WEEKLY', end: '2025-06-03T09:00:00Z' },
    ],
  ])('refuses %s', (_n, over) => {
    expect(terminFieldsFromContent({ ...base, ...over }).type).toBe('unsupported');
  });
});

describe('advowarePatch', () => {
  const t = termin({
    text: 'Alt',
    notiz: 'N',
    ort: 'O',
    uhrzeitVon: '10:00:00',
    datumBis: '2025-06-02',
    uhrzeitBis: '11:00:00',
    turnus: 1,
    turnusArt: 9,
  });
  const google = (over: Partial<EventContent>): EventContent => ({
    ...contentFromTermin(t, { fullContent: true }).content,
    ...over,
  });

  it('writes only the text when only the summary changed (keeps an unsupported turnusArt)', () => {
    expect(advowarePatch(t, google({ summary: 'Neu' }), { fullContent: true })).toEqual({
      type: 'supported',
      fields: { text: 'Neu' },
    });
  });

  it('writes the time fields when the times changed', () => {
    const out = advowarePatch(
      t,
      google({ start: '2025-06-02T10:00:00Z', end: '2025-06-02T11:00:00Z' }),
      { fullContent: true },
    );
    expect(out).toEqual({
      type: 'supported',
      fields: {
        datum: '2025-06-02T00:00:00',
        datumBis: '2025-06-02T00:00:00',
        uhrzeitVon: '12:00:00',
        uhrzeitBis: '13:00:00',
        dauertermin: false,
        turnus: 0,
        turnusArt: 0,
      },
    });
  });

  it('ignores text changes in privacy mode', () => {
    expect(
      advowarePatch(t, google({ summary: 'Termin', description: '', location: '' }), {
        fullContent: false,
      }),
    ).toEqual({ type: 'supported', fields: {} });
  });

  it('keeps the GCAL marker when the description changes', () => {
    const g = termin({ notiz: 'alt\n[GCAL:abcde123]', uhrzeitVon: '10:00' });
    const content = { ...contentFromTermin(g, { fullContent: true }).content, description: 'neu' };
    expect(advowarePatch(g, content, { fullContent: true })).toEqual({
      type: 'supported',
      fields: { notiz: 'neu\n[GCAL:abcde123]' },
    });
  });
});

describe('references and parsers', () => {
  it.each([
    [{ frNr: 4711, notiz: null }, 'adv04711'],
    [{ frNr: 4711, notiz: 'x [GCAL:c4ho6or1ck9n0] y' }, 'c4ho6or1ck9n0'],
  ])('eventIdOfTermin(%j) = %s', (t, id) => {
    expect(eventIdOfTermin(t)).toBe(id);
  });

  it('strips the marker and surrounding blank space', () => {
    expect(stripGcalMarker('Text\n[GCAL:abcde]')).toBe('Text');
    expect(stripGcalMarker('[GCAL:abcde]')).toBe('');
  });

  it.each([
    ['2025-06-02T10:00:00Z', Date.UTC(2025, 5, 2, 10)],
    ['2025-06-02T10:00:00+02:00', Date.UTC(2025, 5, 2, 8)],
    ['2025-06-02T10:00:00', Date.UTC(2025, 5, 2, 8)],
    ['', undefined],
    [null, undefined],
  ])('advowareTimestamp(%p)', (raw, ms) => {
    expect(advowareTimestamp(raw)).toBe(ms);
  });

  it('hashes equal content equally and any field change differently', () => {
    const c: EventContent = {
      summary: 'a',
      description: '',
      location: '',
      allDay: true,
      start: '2025-06-02',
      end: '2025-06-03',
      recurrence: null,
    };
    expect(contentHash(c)).toBe(contentHash({ ...c }));
    for (const over of [
      { summary: 'b' },
      { description: 'x' },
      { location: 'y' },
      { end: '2025-06-04' },
      { recurrence: 'RRULE:FREQ=DAILY' },
    ]) {
      expect(contentHash({ ...c, ...over })).not.toBe(contentHash(c));
    }
  });
});
