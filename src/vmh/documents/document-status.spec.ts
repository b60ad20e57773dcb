import { documentStatusKind, isChangedStatus } from './document-status.js';

describe('document status', () => {
  const rows: Array<[unknown, ReturnType<typeof documentStatusKind>, boolean]> = [
    ['neu', 'new', true],
    ['Neu', 'new', true],
    ['NEU', 'new', true],
    [' neu ', 'new', true],
    ['geändert', 'changed', true],
    ['Geändert', 'changed', true],
    ['GEÄNDERT', 'changed', true],
    ['GEAENDERT', 'changed', true],
    ['geaendert', 'changed', true],
    // "ä" as a plus a combining diaeresis (NFD), as some clients send it
    ['gea\u0308ndert', 'changed', true],
    ['synced', 'synced', false],
    ['Synced', 'synced', false],
    ['failed', 'failed', false],
    ['FAILED', 'failed', false],
    ['neuer', 'other', false],
    ['', null, false],
    [null, null, false],
    [undefined, null, false],
    [3, null, false],
  ];
  it.each(rows)('%j → %s (changed: %s)', (value, kind, changed) => {
    expect(documentStatusKind(value)).toBe(kind);
    expect(isChangedStatus(value)).toBe(changed);
  });
});
