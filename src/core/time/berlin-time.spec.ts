import { berlinRfc3339, berlinToUtc, utcIso, utcToBerlin } from './berlin-time.js';

describe('Berlin wall-clock ↔ UTC', () => {
  it.each([
    ['winter', '2025-01-15', '10:00:00', '2025-01-15T09:00:00Z', '2025-01-15T10:00:00+01:00'],
    ['summer', '2025-07-15', '10:00:00', '2025-07-15T08:00:00Z', '2025-07-15T10:00:00+02:00'],
    [
      'just before the spring change',
      '2025-03-30',
      '01:59:00',
      '2025-03-30T00:59:00Z',
      '2025-03-30T01:59:00+01:00',
    ],
    [
      'in the spring gap: one hour later',
      '2025-03-30',
      '02:30:00',
      '2025-03-30T01:30:00Z',
      '2025-03-30T03:30:00+02:00',
    ],
    [
      'just after the spring change',
      '2025-03-30',
      '03:00:00',
      '2025-03-30T01:00:00Z',
      '2025-03-30T03:00:00+02:00',
    ],
    [
      'autumn overlap: the summer-time instant',
      '2025-10-26',
      '02:30:00',
      '2025-10-26T00:30:00Z',
      '2025-10-26T02:30:00+02:00',
    ],
    [
      'after the autumn change',
      '2025-10-26',
      '03:00:00',
      '2025-10-26T02:00:00Z',
      '2025-10-26T03:00:00+01:00',
    ],
    [
      'midnight on the spring change day',
      '2025-03-30',
      '00:00:00',
      '2025-03-29T23:00:00Z',
      '2025-03-30T00:00:00+01:00',
    ],
  ])('%s: %s %s', (_n, date, time, utc, rfc) => {
    const ms = berlinToUtc(date, time);
    expect(utcIso(ms)).toBe(utc);
    expect(berlinRfc3339(ms)).toBe(rfc);
  });

  it('reads every quarter hour of both change days back to the same wall-clock time', () => {
    for (const date of ['2025-03-30', '2025-10-26', '2026-03-29']) {
      for (let m = 0; m < 24 * 60; m += 15) {
        const time = `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}:00`;
        if (date !== '2025-10-26' && time >= '02:00:00' && time < '03:00:00') continue; // the gap has no such time
        expect(utcToBerlin(berlinToUtc(date, time))).toEqual({ date, time });
      }
    }
  });
});
