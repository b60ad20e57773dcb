import { describe, expect, it } from '@jest/globals';
import type { AdvowareTermin } from '../integrations/advoware/advoware.types.js';
import { pairTermine } from './calendar-pairing.js';
import type { EventRecord } from './calendar-sync.state.js';

const DAY = 86_400_000;
const WINDOW = {
  from: '2026-12-01',
  to: '2026-12-31',
  startMs: Date.UTC(2026, 11, 1),
  endMs: Date.UTC(2027, 0, 1),
};
const IN = { startMs: WINDOW.startMs + 3 * DAY, endMs: WINDOW.startMs + 3 * DAY + 3_600_000 };
const BEFORE = { startMs: WINDOW.startMs - 3 * DAY, endMs: WINDOW.startMs - 3 * DAY + 3_600_000 };
const ADOPT = { refProperties: ['advowareFrNr'] };

const termin = (frNr: number, notiz?: string): AdvowareTermin => ({
  frNr,
  datum: '2026-12-04',
  notiz,
});
const rec = (id: string, over: Partial<EventRecord> = {}): EventRecord => ({
  id,
  cancelled: false,
  hash: `hash-${id}`,
  recurring: false,
  fitsAdvoware: true,
  ...IN,
  ...over,
});

/** A pair as `frNr|eventId`, `-` for a missing side. */
const show = (pairs: ReturnType<typeof pairTermine>) =>
  pairs.map((p) => `${p.termin?.frNr ?? '-'}|${p.record?.id ?? '-'}`);

describe('pairTermine', () => {
  const cases: Array<[string, AdvowareTermin[], EventRecord[], string[]]> = [
    ['by the frNr on the event', [termin(1)], [rec('e1', { frNr: '1' })], ['1|e1']],
    [
      'by the [GCAL:] marker of a Termin made from Google',
      [termin(2, 'Notiz\n[GCAL:g2]')],
      [rec('g2')],
      ['2|g2'],
    ],
    ['a Termin without an event stands alone', [termin(3)], [], ['3|-']],
    ['an unlinked event in the window stands alone', [], [rec('e4')], ['-|e4']],
    ['an unlinked event before the window is left alone', [], [rec('e5', BEFORE)], []],
    [
      'a linked event whose Termin is not in the list stands alone (the writer looks it up)',
      [],
      [rec('e6', { frNr: '6' })],
      ['-|e6'],
    ],
    [
      'a cancelled event outside the window still counts (its deletion)',
      [],
      [rec('e7', { ...BEFORE, cancelled: true })],
      ['-|e7'],
    ],
    [
      'a changed occurrence of a series is left alone',
      [termin(8)],
      [rec('e8', { frNr: '8', instanceOf: 's8' })],
      ['8|-'],
    ],
    [
      'a second event of the same Termin does not take it again',
      [termin(9)],
      [rec('e9a', { frNr: '9' }), rec('e9b', { frNr: '9' })],
      ['9|e9a', '-|e9b'],
    ],
  ];

  it.each(cases)('%s', (_name, termine, records, expected) => {
    const pairs = pairTermine(termine, new Map(records.map((r) => [r.id, r])), WINDOW, ADOPT);
    expect(show(pairs)).toEqual(expected);
  });
});
