import { advowareLocalTime, parseAdvowareTime } from './advoware-time.js';

describe('parseAdvowareTime', () => {
  it.each([
    // [input, expected UTC ISO or undefined, why]
    ['2026-12-04T14:05:00', '2026-12-04T13:05:00.000Z', 'winter, no zone: Berlin +01:00'],
    ['2026-07-01T14:05:00', '2026-07-01T12:05:00.000Z', 'summer, no zone: Berlin +02:00'],
    ['2026-12-04T14:05:00.1234567', '2026-12-04T13:05:00.123Z', '.NET 7-digit fraction'],
    ['2026-12-04 14:05:00', '2026-12-04T13:05:00.000Z', 'space instead of T'],
    ['2026-12-04T14:05', '2026-12-04T13:05:00.000Z', 'no seconds'],
    ['2026-12-04', '2026-12-03T23:00:00.000Z', 'bare date: Berlin midnight'],
    ['2026-12-04T14:05:00Z', '2026-12-04T14:05:00.000Z', 'Z is taken as given'],
    ['2026-12-04T14:05:00+01:00', '2026-12-04T13:05:00.000Z', 'offset taken as given'],
    ['2026-12-04T14:05:00-0500', '2026-12-04T19:05:00.000Z', 'offset without colon'],
    // Spring gap: 02:00–03:00 on 2026-03-29 does not exist in Berlin.
    ['2026-03-29T01:59:59', '2026-03-29T00:59:59.000Z', 'last second before the gap (CET)'],
    [
      '2026-03-29T02:30:00',
      '2026-03-29T01:30:00.000Z',
      'in the gap: read one hour later (03:30 CEST)',
    ],
    ['2026-03-29T03:00:00', '2026-03-29T01:00:00.000Z', 'first second after the gap (CEST)'],
    // Autumn overlap: 02:00–03:00 on 2026-10-25 happens twice.
    ['2026-10-25T01:59:59', '2026-10-24T23:59:59.000Z', 'before the overlap (CEST)'],
    [
      '2026-10-25T02:30:00',
      '2026-10-25T00:30:00.000Z',
      'ambiguous: the first, summer-time instant',
    ],
    ['2026-10-25T03:00:00', '2026-10-25T02:00:00.000Z', 'after the overlap (CET)'],
    ['', undefined, 'empty'],
    ['gestern', undefined, 'not a time'],
    ['2026-02-30T10:00:00', undefined, 'impossible date'],
    ['2026-12-04T24:00:00', undefined, 'impossible hour'],
  ])('%s → %s (%s)', (input: string, expected: string | undefined, _why: string) => {
    const ms = parseAdvowareTime(input);
    expect(ms === undefined ? undefined : new Date(ms).toISOString()).toBe(expected);
  });

  it.each([null, undefined, 42, {}])('reads %p as no time', (v) => {
    expect(parseAdvowareTime(v)).toBeUndefined();
  });

  it('does not depend on the host zone: a zone-less time is never read as UTC', () => {
    expect(parseAdvowareTime('2026-12-04T14:05:00')).not.toBe(Date.parse('2026-12-04T14:05:00Z'));
  });
});

describe('advowareLocalTime', () => {
  it.each([
    ['2026-12-04T13:05:00.000Z', '2026-12-04T14:05:00'],
    ['2026-07-01T12:05:00.900Z', '2026-07-01T14:05:00'],
    ['2026-10-25T00:30:00.000Z', '2026-10-25T02:30:00'],
    ['2026-10-25T01:30:00.000Z', '2026-10-25T02:30:00'],
  ])('%s → %s', (utc, local) => {
    expect(advowareLocalTime(Date.parse(utc))).toBe(local);
  });

  it('round-trips every hour of a year outside the overlap', () => {
    const start = Date.parse('2026-01-01T00:00:00Z');
    for (let t = start; t < start + 365 * 86_400_000; t += 60 * 60_000) {
      const local = advowareLocalTime(t);
      // The second pass through the autumn overlap maps back to its first pass, by design.
      if (local.startsWith('2026-10-25T02:')) continue;
      expect(parseAdvowareTime(local)).toBe(t);
    }
  });
});
