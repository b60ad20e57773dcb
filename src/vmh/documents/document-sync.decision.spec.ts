import {
  decideDocumentSync,
  fileMayHaveChanged,
  needsUpload,
  planMemberships,
  type DocumentState,
} from './document-sync.decision.js';

const synced: DocumentState = {
  id: 'doc1',
  dokumentId: 'att1',
  xaiId: 'file_1',
  xaiCollections: ['c1'],
  xaiSyncedHash: 'h1',
  md5sum: 'h1',
  fileStatus: 'synced',
  syncErrorMessage: null,
};

describe('decideDocumentSync', () => {
  const rows: Array<
    [string, Partial<DocumentState>, string[], { action: string; fetchFile?: boolean }]
  > = [
    ['skips a synced document whose collections match', {}, ['c1'], { action: 'skip' }],
    [
      'skips a document that belongs to no collection and is in none',
      { xaiCollections: [], xaiId: null, fileStatus: 'neu' },
      [],
      { action: 'skip' },
    ],
    [
      'fetches the file of a new document that has a collection',
      { xaiId: null, xaiCollections: [], fileStatus: 'neu', xaiSyncedHash: null, md5sum: null },
      ['c1'],
      { action: 'sync', fetchFile: true },
    ],
    [
      'fetches the file when fileStatus says geändert',
      { fileStatus: 'geändert' },
      ['c1'],
      { action: 'sync', fetchFile: true },
    ],
    [
      'fetches the file when fileStatus says neu',
      { fileStatus: 'neu' },
      ['c1'],
      { action: 'sync', fetchFile: true },
    ],
    [
      'fetches the file when md5sum differs from xaiSyncedHash',
      { md5sum: 'h2' },
      ['c1'],
      { action: 'sync', fetchFile: true },
    ],
    [
      'fetches the file when md5sum is unknown',
      { md5sum: null },
      ['c1'],
      { action: 'sync', fetchFile: true },
    ],
    [
      'fetches the file when there is no xaiId',
      { xaiId: null },
      ['c1'],
      { action: 'sync', fetchFile: true },
    ],
    [
      'skips a document without an attachment that would need one',
      { xaiId: null, dokumentId: null },
      ['c1'],
      { action: 'skip' },
    ],
    [
      'changes memberships only when a collection is added',
      {},
      ['c1', 'c2'],
      { action: 'sync', fetchFile: false },
    ],
    [
      'changes memberships only when a collection is no longer required',
      { xaiCollections: ['c1', 'c2'] },
      ['c1'],
      { action: 'sync', fetchFile: false },
    ],
    [
      'removes from every collection when no link remains, without the file',
      { fileStatus: 'geändert' },
      [],
      { action: 'sync', fetchFile: false },
    ],
    [
      'repairs the status of a failed document that is otherwise in sync',
      { fileStatus: 'failed' },
      ['c1'],
      { action: 'sync', fetchFile: false },
    ],
    [
      'ignores collection order',
      { xaiCollections: ['c2', 'c1'] },
      ['c1', 'c2'],
      { action: 'skip' },
    ],
  ];
  it.each(rows)('%s', (_name, patch, required, expected) => {
    expect(decideDocumentSync({ ...synced, ...patch }, required)).toMatchObject(expected);
  });
});

describe('fileMayHaveChanged and needsUpload', () => {
  it('trusts matching hashes with status synced', () =>
    expect(fileMayHaveChanged(synced)).toBe(false));
  it('uploads when the downloaded content differs from the synced hash', () =>
    expect(needsUpload(synced, 'h2')).toBe(true));
  it('does not upload a file whose content equals the synced hash', () =>
    expect(needsUpload(synced, 'h1')).toBe(false));
  it('uploads a document that has no xaiId even with an equal hash', () =>
    expect(needsUpload({ ...synced, xaiId: null }, 'h1')).toBe(true));
});

describe('planMemberships', () => {
  it('adds only the missing collections and removes the surplus for the same file', () => {
    expect(
      planMemberships({
        current: ['c1', 'c3'],
        required: ['c1', 'c2'],
        previousFileId: 'f',
        fileId: 'f',
      }),
    ).toEqual({
      add: ['c2'],
      remove: [{ collectionId: 'c3', fileId: 'f' }],
    });
  });
  it('moves every membership to a newly uploaded file', () => {
    expect(
      planMemberships({
        current: ['c1', 'c3'],
        required: ['c1', 'c2'],
        previousFileId: 'old',
        fileId: 'new',
      }),
    ).toEqual({
      add: ['c1', 'c2'],
      remove: [
        { collectionId: 'c1', fileId: 'old' },
        { collectionId: 'c3', fileId: 'old' },
      ],
    });
  });
  it('adds a first upload to every required collection', () => {
    expect(
      planMemberships({
        current: [],
        required: ['c1', 'c1', 'c2'],
        previousFileId: null,
        fileId: 'f',
      }),
    ).toEqual({
      add: ['c1', 'c2'],
      remove: [],
    });
  });
  it('does nothing when current and required match', () => {
    expect(
      planMemberships({ current: ['c1'], required: ['c1'], previousFileId: 'f', fileId: 'f' }),
    ).toEqual({ add: [], remove: [] });
  });
});
