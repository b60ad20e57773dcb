import { describe, expect, it } from '@jest/globals';
import { espoDateTime, parseEspoDateTime } from './espocrm-datetime.js';

describe('espoDateTime', () => {
  it('writes UTC as YYYY-MM-DD HH:mm:ss without milliseconds', () => {
    expect(espoDateTime(new Date('2026-03-01T23:59:58.999+02:00'))).toBe('2026-03-01 21:59:58');
  });

  it('refuses an invalid date', () => {
    expect(() => espoDateTime(new Date('nonsense'))).toThrow(RangeError);
  });

  it('orders like the instants when compared as strings', () => {
    const a = espoDateTime(new Date('2026-01-09T10:00:00Z'));
    const b = espoDateTime(new Date('2026-01-10T09:00:00Z'));
    expect(a < b).toBe(true);
  });
});

describe('parseEspoDateTime', () => {
  it.each([
    ['2026-03-01 21:59:58', '2026-03-01T21:59:58.000Z'],
    ['2026-03-01 21:59', '2026-03-01T21:59:00.000Z'],
    ['2026-03-01', '2026-03-01T00:00:00.000Z'],
    ['2026-03-01T21:59:58Z', '2026-03-01T21:59:58.000Z'],
    ['2026-03-01T21:59:58.123Z', '2026-03-01T21:59:58.000Z'],
    [' 2026-03-01 21:59:58 ', '2026-03-01T21:59:58.000Z'],
  ])('reads %j as UTC', (input, iso) => {
    expect(parseEspoDateTime(input).toISOString()).toBe(iso);
  });

  it('round-trips with espoDateTime', () => {
    const s = '2024-02-29 12:34:56';
    expect(espoDateTime(parseEspoDateTime(s))).toBe(s);
  });

  it.each([
    '',
    '01.03.2026',
    '2026-02-30 10:00:00',
    '2026-03-01 24:00:00',
    '2026-03-01 10:00:00+02:00',
  ])('refuses %j', (input) => {
    expect(() => parseEspoDateTime(input)).toThrow(RangeError);
  });
});
