import { ValidationError } from '../../core/errors/upstream.errors.js';
import { eventIdFromFrNr, frNrFromEventId, isValidEventId } from './google-calendar.event-id.js';

describe('eventIdFromFrNr', () => {
  it.each([
    [4711, 'adv04711'],
    ['4711', 'adv04711'],
    [' 4711 ', 'adv04711'],
    ['0004711', 'adv04711'],
    [0, 'adv00'],
    [1, 'adv01'],
    [Number.MAX_SAFE_INTEGER, `adv0${Number.MAX_SAFE_INTEGER}`],
  ])('derives the same id for frNr %p every time', (frNr, expected) => {
    expect(eventIdFromFrNr(frNr)).toBe(expected);
    expect(eventIdFromFrNr(frNr)).toBe(eventIdFromFrNr(frNr));
  });

  it('yields ids Google accepts: base32hex only, at least 5 characters', () => {
    for (const frNr of [0, 7, 12345, 999999999, '18446744073709551615']) {
      expect(isValidEventId(eventIdFromFrNr(frNr))).toBe(true);
    }
  });

  it('gives different frNr different ids', () => {
    expect(eventIdFromFrNr(12)).not.toBe(eventIdFromFrNr(120));
    expect(eventIdFromFrNr(1)).not.toBe(eventIdFromFrNr(10));
  });

  it.each([-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '', 'abc', '12a', '-3', '1e5'])(
    'refuses %p with a ValidationError',
    (frNr) => {
      expect(() => eventIdFromFrNr(frNr)).toThrow(ValidationError);
    },
  );

  it('is reversed by frNrFromEventId', () => {
    expect(frNrFromEventId(eventIdFromFrNr(4711))).toBe('4711');
    expect(frNrFromEventId('c4ho6or1ck9n0')).toBeUndefined();
    expect(frNrFromEventId('adv0')).toBeUndefined();
  });
});

describe('isValidEventId', () => {
  it.each(['abcde', 'adv04711', '0123456789abcdefghijklmnopqrstuv', 'v'.repeat(1024)])(
    'accepts %s',
    (id) => {
      expect(isValidEventId(id)).toBe(true);
    },
  );

  it.each([
    ['too short', 'abcd'],
    ['too long', 'a'.repeat(1025)],
    ['letter beyond v', 'advw1234'],
    ['upper case', 'ADV01234'],
    ['dash', 'adv0-1234'],
    ['underscore', 'adv0_1234'],
    ['empty', ''],
  ])('rejects an id that is %s', (_why, id) => {
    expect(isValidEventId(id)).toBe(false);
  });
});
