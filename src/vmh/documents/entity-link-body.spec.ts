import { linkWork, parseEntityLinkBody } from './entity-link-body.js';

const link = {
  entityType: 'CVmhRaeumungsklage',
  entityId: 'k1',
  foreignType: 'CDokumente',
  foreignId: 'd1',
};

describe('parseEntityLinkBody', () => {
  it('accepts a batch and drops exact duplicates', () => {
    expect(parseEntityLinkBody([link, link])).toEqual({ ok: true, links: [link], total: 2 });
  });
  it.each([
    [{}, 'JSON array'],
    [[null], 'record 0 must be an object'],
    [[{ ...link, entityType: 'cvmh raeumung' }], '"entityType"'],
    [[{ ...link, foreignType: undefined }], '"foreignType"'],
    [[{ ...link, entityId: '' }], '"entityId"'],
    [[link, { ...link, foreignId: 'a/b' }], 'record 1 has no valid "foreignId"'],
  ])('refuses %j with a reason', (body, reason) => {
    const r = parseEntityLinkBody(body);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toContain(reason);
  });
});

describe('linkWork', () => {
  const types = ['CBeteiligte', 'Account', 'CVmhRaeumungsklage'];
  it('finds the document on either side and the collection entity on the other', () => {
    const reversed = {
      entityType: 'CDokumente',
      entityId: 'd2',
      foreignType: 'Account',
      foreignId: 'a1',
    };
    expect(linkWork([link, reversed], types)).toEqual({
      entities: [
        { entityType: 'CVmhRaeumungsklage', entityId: 'k1' },
        { entityType: 'Account', entityId: 'a1' },
      ],
      documentIds: ['d1', 'd2'],
    });
  });
  it('syncs the document but ensures no collection for an entity type without collections', () => {
    expect(linkWork([{ ...link, entityType: 'Contact' }], types)).toEqual({
      entities: [],
      documentIds: ['d1'],
    });
  });
  it('ignores links that do not touch a document', () => {
    expect(linkWork([{ ...link, foreignType: 'Account' }], types)).toEqual({
      entities: [],
      documentIds: [],
    });
  });
});
