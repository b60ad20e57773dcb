import type { AdvowareTermin } from '../integrations/advoware/advoware.types.js';
import {
  type EventContent,
  advowarePatch,
  contentFromTermin,
  contentHash,
  eventIdOfTermin,
  stripGcalMarker,
  terminFieldsFromContent,
} from './termin.mapper.js';

// Google's side written back to Advoware: fields, patch, the GCAL marker and the parsers.
// Advoware to Google (content, times, recurrence, round trip) is in termin.mapper.spec.ts.

const termin = (over: Partial<AdvowareTermin>): AdvowareTermin => ({
  frNr: 4711,
  datum: '2025-06-02',
  ...over,
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
