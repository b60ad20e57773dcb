import { describe, expect, it } from '@jest/globals';
import {
  EspoBadRequest,
  matchesWhere,
  parseBracketQuery,
  parseListParams,
  type LinkLookup,
} from './espocrm-query.fake.js';

const noLinks: LinkLookup = { linkedIds: () => undefined };

describe('parseBracketQuery', () => {
  it('reads nested indexes and [] appends as arrays, as PHP does', () => {
    const q = new URLSearchParams(
      'where[0][type]=or&where[0][value][0][type]=in&where[0][value][0][attribute]=s' +
        '&where[0][value][0][value][]=a&where[0][value][0][value][]=b&maxSize=5',
    );
    expect(parseBracketQuery(q)).toEqual({
      where: [{ type: 'or', value: [{ type: 'in', attribute: 's', value: ['a', 'b'] }] }],
      maxSize: '5',
    });
  });

  it('orders indexes numerically, not as text', () => {
    const parts = Array.from({ length: 12 }, (_, i) => `a[${11 - i}]=${11 - i}`).join('&');
    expect(parseBracketQuery(new URLSearchParams(parts)).a).toEqual(
      Array.from({ length: 12 }, (_, i) => String(i)),
    );
  });
});

describe('parseListParams', () => {
  it('prefers searchParams JSON and splits a comma select', () => {
    const q = new URLSearchParams({
      searchParams: JSON.stringify({ select: 'a, b', maxSize: 3 }),
      maxSize: '9',
    });
    expect(parseListParams(q)).toMatchObject({
      select: ['a', 'b'],
      maxSize: 3,
      offset: 0,
      order: 'asc',
    });
  });

  it.each(['where[0][attribute]=x', 'order=sideways', 'offset=-1'])('refuses %s', (query) => {
    expect(() => parseListParams(new URLSearchParams(query))).toThrow(EspoBadRequest);
  });
});

describe('matchesWhere', () => {
  const rec = { id: 'r', name: 'Müller_GmbH', n: 5, s: null, tags: ['x', 'y'] };

  it.each([
    [{ type: 'notEquals', attribute: 's', value: 'a' }, false],
    [{ type: 'notIn', attribute: 's', value: ['a'] }, false],
    [{ type: 'equals', attribute: 's', value: null }, true],
    [{ type: 'lessThan', attribute: 's', value: 3 }, false],
    [{ type: 'lessThan', attribute: 'n', value: '10' }, true],
    [{ type: 'between', attribute: 'n', value: [5, 6] }, true],
    [{ type: 'contains', attribute: 'name', value: 'r_g' }, true],
    [{ type: 'contains', attribute: 'name', value: 'r%g' }, false],
    [{ type: 'endsWith', attribute: 'name', value: 'gmbh' }, true],
    [{ type: 'like', attribute: 'name', value: 'M%ller\\_G%' }, true],
    [{ type: 'arrayAnyOf', attribute: 'tags', value: ['y', 'z'] }, true],
    [{ type: 'arrayAllOf', attribute: 'tags', value: ['y', 'z'] }, false],
    [{ type: 'not', value: [{ type: 'equals', attribute: 'n', value: 5 }] }, false],
  ])('%j → %p (SQL null semantics)', (item, expected) => {
    expect(matchesWhere(rec, item, noLinks)).toBe(expected);
  });

  it('refuses linkedWith over a link that does not exist', () => {
    expect(() =>
      matchesWhere(rec, { type: 'linkedWith', attribute: 'nope', value: ['x'] }, noLinks),
    ).toThrow(EspoBadRequest);
  });
});
