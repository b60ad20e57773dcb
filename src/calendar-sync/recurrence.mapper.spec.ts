import { parseRecurrence, recurrenceFromTurnus, rruleOf, turnusOf } from './recurrence.mapper.js';

describe('recurrenceFromTurnus', () => {
  it.each([
    ['no turnus', null, null, '2025-06-02', '2025-06-02', { type: 'none' }],
    ['turnus 0 / turnusArt 0', 0, 0, '2025-06-02', '2025-06-02', { type: 'none' }],
    [
      'daily, open-ended',
      1,
      1,
      '2025-06-02',
      '2025-06-02',
      { type: 'supported', recurrence: { kind: 'daily', interval: 1 } },
    ],
    [
      'every 2 weeks until datumBis',
      2,
      2,
      '2025-06-02',
      '2025-12-31',
      { type: 'supported', recurrence: { kind: 'weekly', interval: 2, until: '2025-12-31' } },
    ],
    [
      'monthly',
      1,
      3,
      '2025-06-02',
      '2025-06-02',
      { type: 'supported', recurrence: { kind: 'monthly', interval: 1 } },
    ],
    [
      'yearly',
      1,
      4,
      '2025-06-02',
      '2025-06-02',
      { type: 'supported', recurrence: { kind: 'yearly', interval: 1 } },
    ],
    [
      'unknown turnusArt',
      1,
      7,
      '2025-06-02',
      '2025-06-02',
      { type: 'unsupported', reason: 'turnusArt 7' },
    ],
    [
      'fractional turnus',
      1.5,
      2,
      '2025-06-02',
      '2025-06-02',
      { type: 'unsupported', reason: 'turnus 1.5' },
    ],
  ] as const)('%s', (_n, turnus, art, datum, bis, expected) => {
    expect(recurrenceFromTurnus(turnus, art, datum, bis)).toEqual(expected);
  });

  it('round-trips through turnusOf', () => {
    expect(turnusOf({ kind: 'monthly', interval: 3 })).toEqual({ turnus: 3, turnusArt: 3 });
    expect(turnusOf(undefined)).toEqual({ turnus: 0, turnusArt: 0 });
  });
});

describe('rruleOf', () => {
  it.each([
    [{ kind: 'weekly', interval: 1 }, false, 'RRULE:FREQ=WEEKLY'],
    [{ kind: 'daily', interval: 3 }, false, 'RRULE:FREQ=DAILY;INTERVAL=3'],
    // end of 2025-12-31 in Berlin (winter time) is 22:59:59 UTC
    [
      { kind: 'weekly', interval: 2, until: '2025-12-31' },
      false,
      'RRULE:FREQ=WEEKLY;INTERVAL=2;UNTIL=20251231T225959Z',
    ],
    // summer time: 21:59:59 UTC
    [
      { kind: 'monthly', interval: 1, until: '2025-07-15' },
      false,
      'RRULE:FREQ=MONTHLY;UNTIL=20250715T215959Z',
    ],
    [
      { kind: 'yearly', interval: 1, until: '2030-01-01' },
      true,
      'RRULE:FREQ=YEARLY;UNTIL=20300101',
    ],
  ] as const)('%j all-day=%s → %s', (rec, allDay, expected) => {
    expect(rruleOf(rec, allDay)).toBe(expected);
  });
});

describe('parseRecurrence', () => {
  it.each([
    ['no lines', null, '2025-06-02', { type: 'none' }],
    [
      'what rruleOf writes',
      ['RRULE:FREQ=WEEKLY;INTERVAL=2;UNTIL=20251231T225959Z'],
      '2025-06-02',
      { type: 'supported', recurrence: { kind: 'weekly', interval: 2, until: '2025-12-31' } },
    ],
    [
      'all-day UNTIL',
      ['RRULE:FREQ=YEARLY;UNTIL=20300101'],
      '2025-06-02',
      { type: 'supported', recurrence: { kind: 'yearly', interval: 1, until: '2030-01-01' } },
    ],
    [
      'BYDAY of the start weekday (Google UI)',
      ['RRULE:FREQ=WEEKLY;BYDAY=MO'],
      '2025-06-02',
      { type: 'supported', recurrence: { kind: 'weekly', interval: 1 } },
    ],
    [
      'BYMONTHDAY of the start day',
      ['RRULE:FREQ=MONTHLY;BYMONTHDAY=2'],
      '2025-06-02',
      { type: 'supported', recurrence: { kind: 'monthly', interval: 1 } },
    ],
    [
      'several weekdays',
      ['RRULE:FREQ=WEEKLY;BYDAY=MO,WE'],
      '2025-06-02',
      { type: 'unsupported', reason: 'BYDAY=MO,WE' },
    ],
    ['COUNT', ['RRULE:FREQ=DAILY;COUNT=5'], '2025-06-02', { type: 'unsupported', reason: 'COUNT' }],
    [
      'nth weekday of month',
      ['RRULE:FREQ=MONTHLY;BYDAY=1MO'],
      '2025-06-02',
      { type: 'unsupported', reason: 'BYDAY=1MO' },
    ],
    ['hourly', ['RRULE:FREQ=HOURLY'], '2025-06-02', { type: 'unsupported', reason: 'FREQ=HOURLY' }],
    [
      'exceptions',
      ['RRULE:FREQ=DAILY', 'EXDATE;TZID=Europe/Berlin:20250603T100000'],
      '2025-06-02',
      { type: 'unsupported', reason: '2 recurrence lines' },
    ],
  ] as const)('%s', (_n, lines, start, expected) => {
    expect(parseRecurrence(lines as unknown as string[] | null, start)).toEqual(expected);
  });
});
