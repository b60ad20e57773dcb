import {
  COLLECTION_FIELD_DEFINITIONS,
  collectionDescription,
  collectionInput,
  collectionName,
  collectionOwner,
  documentFields,
  isDocumentMembership,
  missingFieldDefinitions,
} from './collection.mapper.js';

describe('collection mapper', () => {
  it('names a collection "{entityType} - {name}" and falls back to the id', () => {
    expect(collectionName('CVmhRaeumungsklage', ' Müller ./. Schmidt ', 'k1')).toBe(
      'CVmhRaeumungsklage - Müller ./. Schmidt',
    );
    expect(collectionName('Account', '', 'a1')).toBe('Account - a1');
  });
  it('reads back the owner it wrote into the description', () => {
    const owner = { entityType: 'CBeteiligte', entityId: '6650f1a2b3c4d5e6f' };
    expect(collectionOwner(collectionDescription(owner))).toEqual(owner);
    expect(collectionOwner('a collection someone made by hand')).toBeUndefined();
    expect(collectionOwner(undefined)).toBeUndefined();
  });
  it('creates collections with the document field definitions', () => {
    expect(
      collectionInput({ entityType: 'Account', entityId: 'a1' }, 'ACME').fieldDefinitions,
    ).toEqual(COLLECTION_FIELD_DEFINITIONS);
  });
  it('lists only the field definitions a collection lacks', () => {
    expect(missingFieldDefinitions(undefined)).toEqual(COLLECTION_FIELD_DEFINITIONS);
    expect(missingFieldDefinitions(COLLECTION_FIELD_DEFINITIONS)).toEqual([]);
    expect(missingFieldDefinitions([{ key: 'espocrm_entity_type' }]).map((d) => d.key)).toEqual([
      'espocrm_entity_id',
    ]);
  });
  it('recognises the membership of exactly this document', () => {
    expect(isDocumentMembership(documentFields('d1'), 'd1')).toBe(true);
    expect(isDocumentMembership(documentFields('d1'), 'd2')).toBe(false);
    expect(isDocumentMembership(undefined, 'd1')).toBe(false);
  });
});
