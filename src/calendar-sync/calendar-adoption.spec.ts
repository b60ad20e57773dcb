import type { GoogleCalendarListEntry } from '../integrations/google-calendar/google-calendar.types.js';
import {
  type TerminKey,
  type UnlinkedEvent,
  adoptUnlinked,
  chooseCalendar,
  idPatternProblem,
  oldReference,
  pairUnlinked,
} from './calendar-adoption.js';
import type { EventRecord } from './calendar-sync.state.js';
import type { EventContent } from './termin.mapper.js';

const MARKER = '[bitbylaw-hub:advoware:MS]';
const OPTIONS = { summaryPattern: 'Advoware {kuerzel}' };

function cal(over: Partial<GoogleCalendarListEntry>): GoogleCalendarListEntry {
  return { id: 'c1', summary: 'x', accessRole: 'owner', ...over };
}

describe('chooseCalendar', () => {
  it.each<[string, GoogleCalendarListEntry[], ReturnType<typeof chooseCalendar>]>([
    ['no calendars', [], { kind: 'none' }],
    [
      'the marked calendar wins over an old one',
      [
        cal({ id: 'old', summary: 'Advoware MS' }),
        cal({ id: 'hub', summary: 'Advoware MS', description: `x ${MARKER}` }),
      ],
      { kind: 'marked', id: 'hub' },
    ],
    [
      'the old hub calendar by summary, marker appended to its description',
      [cal({ id: 'old', summary: 'Advoware MS', description: 'Termine aus Advoware' })],
      { kind: 'adopt', id: 'old', description: `Termine aus Advoware\n${MARKER}` },
    ],
    [
      'summary compared without case and extra spaces; no description → the marker alone',
      [cal({ id: 'old', summary: '  advoware   ms ' })],
      { kind: 'adopt', id: 'old', description: MARKER },
    ],
    [
      'another employee’s old calendar is not adopted',
      [cal({ id: 'other', summary: 'Advoware AB' })],
      { kind: 'none' },
    ],
    [
      'a calendar shared read-only is not adopted',
      [cal({ id: 'ro', summary: 'Advoware MS', accessRole: 'reader' })],
      { kind: 'none' },
    ],
    [
      'the primary calendar is never adopted',
      [cal({ id: 'm@x', summary: 'Advoware MS', primary: true })],
      { kind: 'none' },
    ],
    [
      'two old calendars: the first by id, every run alike',
      [cal({ id: 'b', summary: 'Advoware MS' }), cal({ id: 'a', summary: 'Advoware MS' })],
      { kind: 'adopt', id: 'a', description: MARKER },
    ],
  ])('%s', (_name, calendars, expected) => {
    expect(chooseCalendar(calendars, 'MS', MARKER, OPTIONS)).toEqual(expected);
  });

  it('adopts nothing when the pattern is empty', () => {
    expect(chooseCalendar([cal({ summary: '' })], 'MS', MARKER, { summaryPattern: '' })).toEqual({
      kind: 'none',
    });
  });
});

const REF = { refProperties: ['frNr', 'advoware_frnr'], idPattern: /^advoware([0-9]+)$/ };

describe('oldReference', () => {
  it.each<[string, Partial<UnlinkedEvent>, string | undefined]>([
    ['private property', { refs: { frNr: '4711' } }, '4711'],
    ['second configured key', { refs: { advoware_frnr: '0815' } }, '815'],
    ['a non-numeric value is no reference', { refs: { frNr: 'abc' } }, undefined],
    ['unknown keys are ignored', { refs: { other: '4711' } }, undefined],
    ['old id scheme', { id: 'advoware4711' }, '4711'],
    ['an id outside the scheme', { id: 'k3j5h2' }, undefined],
  ])('%s', (_name, e, expected) => {
    expect(oldReference({ id: 'zzzzz', ...e }, REF)).toBe(expected);
  });
});

function content(start: string, end: string, summary: string): EventContent {
  return { summary, description: '', location: '', allDay: false, start, end, recurrence: null };
}
const C1 = content('2026-12-10T09:00:00Z', '2026-12-10T10:00:00Z', 'Mandant Müller');
const C2 = content('2026-12-11T09:00:00Z', '2026-12-11T10:00:00Z', 'Frist');

describe('pairUnlinked', () => {
  const termine: TerminKey[] = [
    { frNr: '1', content: C1, linked: false },
    { frNr: '2', content: C2, linked: false },
    { frNr: '3', content: C2, linked: true },
  ];
  it.each<[string, UnlinkedEvent[], Record<string, string>, Record<string, string>]>([
    ['by the old property', [{ id: 'e1', refs: { frNr: '2' }, content: C1 }], { e1: '2' }, {}],
    ['by the old id scheme', [{ id: 'advoware1' }], { advoware1: '1' }, {}],
    [
      'by start, end and subject (case and spaces aside)',
      [{ id: 'e1', content: { ...C1, summary: ' mandant  MÜLLER', description: 'anders' } }],
      { e1: '1' },
      {},
    ],
    [
      'a different start is no match',
      [{ id: 'e1', content: { ...C1, start: '2026-12-10T09:30:00Z' } }],
      {},
      {},
    ],
    [
      'the second event for one Termin is a duplicate',
      [
        { id: 'e2', content: C1 },
        { id: 'e1', content: C1 },
      ],
      { e1: '1' },
      { e2: '1' },
    ],
    [
      'a reference wins over content; the content twin is then a duplicate',
      [
        { id: 'a', content: C1 },
        { id: 'b', refs: { frNr: '1' } },
      ],
      { b: '1' },
      { a: '1' },
    ],
    [
      'a reference to a Termin another event links already: duplicate',
      [{ id: 'e1', refs: { frNr: '3' } }],
      {},
      { e1: '3' },
    ],
    [
      'content of a linked Termin with an unlinked twin: pairs with the unlinked one',
      [{ id: 'e1', content: C2 }],
      { e1: '2' },
      {},
    ],
    [
      'an old privacy-mode event ("Termin") by its times alone',
      [{ id: 'e1', content: { ...C1, summary: 'Termin' } }],
      { e1: '1' },
      {},
    ],
    [
      'a privacy-mode event whose times two Termine share: not paired',
      [{ id: 'e1', content: { ...C2, summary: 'Termin' } }],
      {},
      {},
    ],
    [
      'a reference to a Termin outside the window: left for content pairing',
      [{ id: 'e1', refs: { frNr: '99' }, content: C1 }],
      { e1: '1' },
      {},
    ],
  ])('%s', (_name, events, paired, duplicates) => {
    const out = pairUnlinked(events, termine, REF);
    expect(Object.fromEntries(out.paired)).toEqual(paired);
    expect(Object.fromEntries(out.duplicates)).toEqual(duplicates);
  });
});

describe('adoptUnlinked', () => {
  const record = (over: Partial<EventRecord>): EventRecord => ({
    id: 'e',
    cancelled: false,
    hash: '',
    recurring: false,
    fitsAdvoware: true,
    ...over,
  });
  const termin = {
    frNr: 7,
    kuerzel: 'MS',
    datum: '2026-12-10T00:00:00',
    uhrzeitVon: '10:00:00',
    uhrzeitBis: '11:00:00',
    text: 'Mandant Müller',
    dauertermin: false,
  };
  // 10:00 Berlin in December is 09:00 UTC
  const old = { start: '2026-12-10T09:00:00Z', end: '2026-12-10T10:00:00Z' };

  it('pairs an old event by content with the Termin as the hub would show it', () => {
    const out = adoptUnlinked(
      [termin],
      [record({ id: 'legacy', content: content(old.start, old.end, 'Mandant Müller') })],
      REF,
    );
    expect(Object.fromEntries(out.paired)).toEqual({ legacy: '7' });
  });

  it('leaves linked, cancelled and [GCAL:] events and occurrences out', () => {
    const c = content(old.start, old.end, 'Mandant Müller');
    const out = adoptUnlinked(
      [termin, { ...termin, frNr: 8, notiz: '[GCAL:fromgoogle]' }],
      [
        record({ id: 'linked', frNr: '7', content: c }),
        record({ id: 'gone', cancelled: true, content: c }),
        record({ id: 'fromgoogle', content: c }),
        record({ id: 'occurrence', instanceOf: 'series', content: c }),
      ],
      REF,
    );
    expect(out.paired.size + out.duplicates.size).toBe(0);
  });
});

describe('idPatternProblem', () => {
  it.each<[string, string | undefined]>([
    ['^advoware([0-9]+)$', undefined],
    ['^adv-(?<frNr>\\d+)$', undefined],
    ['^advoware[0-9]+$', 'it has no group'],
    ['([', expect.stringContaining('Invalid regular expression') as unknown as string],
  ])('%s', (source, problem) => {
    expect(idPatternProblem(source)).toEqual(problem);
  });
});
