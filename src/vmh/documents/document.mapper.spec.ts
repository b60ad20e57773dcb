import type { DocumentState } from './document-sync.decision.js';
import {
  changedFields,
  documentFileName,
  downloadedFile,
  linkIdsAttribute,
  planLinkedReads,
  readDocumentState,
  readStringList,
  requiredCollections,
  reverseLinkName,
  syncedFields,
} from './document.mapper.js';

describe('document mapper', () => {
  it.each<[string, string | null, { contentType?: string; filename?: string }, object]>([
    [
      "the record's file name and the download's type",
      'akte.pdf',
      { contentType: 'application/pdf', filename: 'other.pdf' },
      { filename: 'akte.pdf', mimeType: 'application/pdf' },
    ],
    [
      "the download's name when the record has none",
      null,
      { contentType: 'text/plain', filename: 'brief.txt' },
      { filename: 'brief.txt', mimeType: 'text/plain' },
    ],
    [
      'the document id and a generic type when neither says more',
      null,
      {},
      { filename: 'd1', mimeType: 'application/octet-stream' },
    ],
  ])('names a downloaded file: %s', (_why, recordName, head, expected) =>
    expect(downloadedFile(recordName, head, 'd1')).toEqual(expected),
  );

  it.each([
    [{ id: 'd1', dokumentName: 'akte.pdf' }, 'akte.pdf'],
    [{ id: 'd1', dokumentName: '' }, null],
    [{ id: 'd1' }, null],
  ])('reads the file name of %j as %s', (record, name) =>
    expect(documentFileName(record)).toBe(name),
  );

  it.each([
    ['CVmhRaeumungsklage', 'cVmhRaeumungsklage'],
    ['Account', 'account'],
    ['CBeteiligte', 'cBeteiligte'],
  ])('names the reverse link of %s %s', (type, link) => expect(reverseLinkName(type)).toBe(link));

  it.each([
    ['CVmhRaeumungsklage', 'cVmhRaeumungsklageIds'],
    ['Account', 'accountIds'],
  ])('reads the linked ids of %s from %s', (type, attr) =>
    expect(linkIdsAttribute(type)).toBe(attr),
  );

  const TYPES = ['CVmhRaeumungsklage', 'Account', 'CBeteiligte'];
  it.each<[string, Record<string, unknown>, Array<[string, string[]]>, string[]]>([
    [
      'every type has {link}Ids: no related-list read',
      { cVmhRaeumungsklageIds: ['k1'], accountIds: [], cBeteiligteIds: ['b1', 'b2'] },
      [
        ['CVmhRaeumungsklage', ['k1']],
        ['Account', []],
        ['CBeteiligte', ['b1', 'b2']],
      ],
      [],
    ],
    ['no link-multiple fields: a related-list read per type', {}, [], TYPES],
    [
      'one type without its field: only that list is read',
      { cVmhRaeumungsklageIds: ['k1'], cBeteiligteIds: [] },
      [
        ['CVmhRaeumungsklage', ['k1']],
        ['CBeteiligte', []],
      ],
      ['Account'],
    ],
    [
      'null or malformed ids count as absent',
      { cVmhRaeumungsklageIds: null, accountIds: 'a1', cBeteiligteIds: ['b1', ''] },
      [],
      TYPES,
    ],
    [
      'duplicate ids are read once',
      { cVmhRaeumungsklageIds: ['k1', 'k1'], accountIds: [], cBeteiligteIds: [] },
      [
        ['CVmhRaeumungsklage', ['k1']],
        ['Account', []],
        ['CBeteiligte', []],
      ],
      [],
    ],
  ])('plans the linked reads: %s', (_, fields, fromRecord, listReads) => {
    expect(planLinkedReads({ id: 'd', ...fields }, TYPES)).toEqual({
      fromRecord: fromRecord.map(([entityType, ids]) => ({ entityType, ids })),
      listReads,
    });
  });

  it('reads a record with empty strings and a missing collection list as nulls and []', () => {
    expect(
      readDocumentState({ id: 'd', dokumentId: 'a', xaiId: '', md5sum: 'm', fileStatus: 'neu' }),
    ).toEqual({
      id: 'd',
      dokumentId: 'a',
      xaiId: null,
      xaiCollections: [],
      xaiSyncedHash: null,
      md5sum: 'm',
      fileStatus: 'neu',
      syncErrorMessage: null,
    });
  });

  it.each([
    [
      ['c1', 'c2', 'c1'],
      ['c1', 'c2'],
    ],
    ['["c1","c2"]', ['c1', 'c2']],
    ['c1, c2', ['c1', 'c2']],
    [null, []],
    [[1, '', 'c1'], ['c1']],
  ])('reads the collection list %j', (value, expected) =>
    expect(readStringList(value)).toEqual(expected),
  );

  it('splits linked entities into collection owners and entities still without a collection', () => {
    const r = requiredCollections([
      { entityType: 'CVmhRaeumungsklage', entityId: 'k1', xaiCollectionId: 'c1' },
      { entityType: 'Account', entityId: 'a1', xaiCollectionId: null },
    ]);
    expect([...r.owners]).toEqual([['c1', { entityType: 'CVmhRaeumungsklage', entityId: 'k1' }]]);
    expect(r.missing).toEqual([{ entityType: 'Account', entityId: 'a1' }]);
  });

  it('writes status and hash only with a confirmed hash', () => {
    expect(syncedFields({ xaiId: 'f', xaiCollections: ['b', 'a'] })).toEqual({
      xaiId: 'f',
      xaiCollections: ['a', 'b'],
    });
    expect(syncedFields({ xaiId: 'f', xaiCollections: [], confirmedHash: 'h' })).toEqual({
      xaiId: 'f',
      xaiCollections: [],
      xaiSyncedHash: 'h',
      md5sum: 'h',
      fileStatus: 'synced',
      syncErrorMessage: null,
    });
  });

  it('keeps only the fields that differ from the record, so an echo writes nothing', () => {
    const state: DocumentState = {
      id: 'd',
      dokumentId: 'a',
      xaiId: 'f',
      xaiCollections: ['c2', 'c1'],
      xaiSyncedHash: 'h',
      md5sum: 'h',
      fileStatus: 'synced',
      syncErrorMessage: null,
    };
    expect(
      changedFields(
        state,
        syncedFields({ xaiId: 'f', xaiCollections: ['c1', 'c2'], confirmedHash: 'h' }),
      ),
    ).toEqual({});
    expect(
      changedFields(
        state,
        syncedFields({ xaiId: 'f', xaiCollections: ['c1'], confirmedHash: 'h' }),
      ),
    ).toEqual({
      xaiCollections: ['c1'],
    });
  });
});
