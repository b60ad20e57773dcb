import {
  AdvowareShapeError,
  canonicalRecord,
  readBeteiligte,
  readList,
  readPage,
  readTermin,
  usableNumber,
} from './advoware.reader.js';

describe('canonicalRecord', () => {
  it.each<[string, Record<string, unknown>, Record<string, unknown>]>([
    ['documented names stay', { betNr: 1, rowId: 'r' }, { betNr: 1, rowId: 'r' }],
    ['lower case', { betnr: 1, rowid: 'r' }, { betNr: 1, rowId: 'r' }],
    ['Pascal case', { BetNr: 1, GeaendertAm: 't' }, { betNr: 1, geaendertAm: 't' }],
    ['the documented spelling wins over a twin', { betnr: 2, betNr: 1 }, { betNr: 1 }],
    ['unknown keys pass through', { betnr: 1, sonstiges: 'x' }, { betNr: 1, sonstiges: 'x' }],
    ['alias kommunikationen', { kommunikationen: [] }, { kommunikation: [] }],
  ])('%s', (_why, raw, expected) => {
    expect(canonicalRecord('beteiligte', raw)).toEqual(expected);
  });

  it('maps an appointments {id} to frNr, but frNr wins when both come', () => {
    expect(canonicalRecord('termin', { id: 7 })).toEqual({ frNr: 7 });
    expect(canonicalRecord('termin', { id: 7, frnr: 8 })).toEqual({ frNr: 8 });
  });
});

describe('usableNumber', () => {
  it.each<[unknown, number | undefined]>([
    [10001, 10001],
    ['10001', 10001],
    [' 42 ', 42],
    [0, undefined],
    [-1, undefined],
    [1.5, undefined],
    ['abc', undefined],
    ['', undefined],
    [null, undefined],
    [undefined, undefined],
    ['undefined', undefined],
  ])('%p → %p', (value, expected) => {
    expect(usableNumber(value)).toBe(expected);
  });
});

describe('readBeteiligte', () => {
  it('reads the documented shape with its embedded kommunikation', () => {
    const party = readBeteiligte(
      { betNr: 5, name: 'A', kommunikation: [{ id: 1, betNr: 5, kommKz: 1, tlf: '1' }] },
      'GET',
    );
    expect(party).toEqual({
      betNr: 5,
      name: 'A',
      kommunikation: [{ id: 1, betNr: 5, kommKz: 1, tlf: '1' }],
    });
  });

  it('reads lower-case ids everywhere, a numeric string and a one-element list', () => {
    const party = readBeteiligte(
      [{ betnr: '5', Kommunikation: [{ ID: '1', betnr: 5, kommkz: 4, TLF: 'x' }] }],
      'GET',
    );
    expect(party.betNr).toBe(5);
    expect(party.kommunikation).toEqual([{ id: 1, betNr: 5, kommKz: 4, tlf: 'x' }]);
  });

  it('drops an embedded field that is not a list', () => {
    expect(readBeteiligte({ betNr: 5, kommunikation: 'n/a' }, 'GET')).toEqual({ betNr: 5 });
  });

  it.each<[string, unknown, RegExp]>([
    ['no number', { name: 'A' }, /without a usable "betNr" \(got null; fields: name\)/],
    ['a number that is not one', { betNr: 'abc' }, /without a usable "betNr" \(got "abc"/],
    ['no record', null, /with no record/],
    ['a list of two', [{ betNr: 1 }, { betNr: 2 }], /a list where a beteiligte record/],
    [
      'an entry without id',
      { betNr: 1, kommunikation: [{ tlf: 'x' }] },
      /kommunikation record without a usable "id"/,
    ],
  ])('refuses %s, naming the field', (_why, raw, message) => {
    expect(() => readBeteiligte(raw, 'GET Beteiligte/1')).toThrow(message);
    expect(() => readBeteiligte(raw, 'GET Beteiligte/1')).toThrow(AdvowareShapeError);
  });
});

describe('readPage and readList', () => {
  it.each<[string, unknown, unknown[], number | undefined]>([
    ['a bare array', [{ a: 1 }], [{ a: 1 }], undefined],
    ['{data, total}', { data: [{ a: 1 }], total: 9 }, [{ a: 1 }], 9],
    ['{Data, Total}', { Data: [{ a: 1 }], Total: '9' }, [{ a: 1 }], 9],
    ['{data: null}', { data: null, total: 0 }, [], 0],
    ['nothing', undefined, [], undefined],
    ['an empty string', '', [], undefined],
    ['one record alone', { a: 1 }, [{ a: 1 }], undefined],
  ])('%s', (_why, raw, items, total) => {
    expect(readPage(raw)).toEqual(total === undefined ? { items } : { items, total });
  });

  it('reads each item of a page with the documented names', () => {
    expect(
      readList('termin', { data: [{ frnr: 3, Datum: '2026-01-01' }], total: 1 }, 'GET'),
    ).toEqual([{ frNr: 3, datum: '2026-01-01' }]);
    expect(() => readTermin({ datum: 'x' }, 'GET appointments')).toThrow(/"frNr"/);
  });
});
