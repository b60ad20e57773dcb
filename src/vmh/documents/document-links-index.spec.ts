import { describe, expect, it } from '@jest/globals';
import {
  decodeOwners,
  encodeOwners,
  planIndexedReads,
  readLinksIndex,
} from './document-links-index.js';

const owners = encodeOwners(
  new Map([
    ['CBeteiligte', ['b-1', 'b-2']],
    ['Account', []],
  ]),
);

describe('readLinksIndex', () => {
  it.each([
    ['nothing stored', [null, null, null], '0', false],
    ['learned before any link event', [null, owners, '0'], '0', true],
    ['learned under the current epoch', ['e2', owners, 'e2'], 'e2', true],
    ['learned before the last link event', ['e3', owners, 'e2'], 'e3', false],
    ['a link event after learning, first one ever', ['e1', owners, '0'], 'e1', false],
    ['a link event, nothing learned yet', ['e1', null, null], 'e1', false],
    ['owners not written by the hub', ['e1', '{"CBeteiligte":"b-1"}', 'e1'], 'e1', false],
  ])('%s', (_case, fields, epoch, trusted) => {
    const entry = readLinksIndex(fields);
    expect(entry.epoch).toBe(epoch);
    expect(entry.owners !== undefined).toBe(trusted);
  });

  it('gives back the owners as learned, empty types included', () => {
    const entry = readLinksIndex(['e2', owners, 'e2']);
    expect(entry.owners?.get('CBeteiligte')).toEqual(['b-1', 'b-2']);
    expect(entry.owners?.get('Account')).toEqual([]);
    expect(entry.owners?.has('CVmhRaeumungsklage')).toBe(false);
  });
});

describe('decodeOwners', () => {
  it.each([
    ['not JSON', '{'],
    ['an array', '[]'],
    ['null', 'null'],
    ['ids not a list', '{"Account":"a-1"}'],
    ['an empty id', '{"Account":[""]}'],
    ['an id not a string', '{"Account":[1]}'],
  ])('refuses %s', (_case, text) => {
    expect(decodeOwners(text)).toBeUndefined();
  });
});

describe('planIndexedReads', () => {
  it('answers the types the index knows and reads the lists of the others', () => {
    const learned = new Map([
      ['CBeteiligte', ['b-1']],
      ['Account', []],
    ]);
    expect(planIndexedReads(['CBeteiligte', 'Account', 'CVmhRaeumungsklage'], learned)).toEqual({
      fromIndex: [
        { entityType: 'CBeteiligte', ids: ['b-1'] },
        { entityType: 'Account', ids: [] },
      ],
      listReads: ['CVmhRaeumungsklage'],
    });
  });

  it('reads every list without a trusted entry', () => {
    expect(planIndexedReads(['CBeteiligte', 'Account'], undefined)).toEqual({
      fromIndex: [],
      listReads: ['CBeteiligte', 'Account'],
    });
  });
});
