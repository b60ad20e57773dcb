import { CollectionIdCache } from './collection-id-cache.js';

describe('CollectionIdCache', () => {
  const t0 = 1_000_000;

  it('answers a value read under the same generation', () => {
    const cache = new CollectionIdCache<string>();
    cache.set('CBeteiligte:1', '4', 'collection_a', t0);
    expect(cache.get('CBeteiligte:1', '4', t0 + 1)).toEqual({ value: 'collection_a' });
  });

  it('keeps a null value (an entity without a collection) apart from a miss', () => {
    const cache = new CollectionIdCache<string | null>();
    cache.set('CBeteiligte:1', '4', null, t0);
    expect(cache.get('CBeteiligte:1', '4', t0)).toEqual({ value: null });
    expect(cache.get('CBeteiligte:2', '4', t0)).toBeUndefined();
  });

  it.each([
    ['the generation moved on', '5', t0 + 1],
    ['the value is older than the age limit', '4', t0 + 60_001],
  ])('misses when %s', (_why, generation, now) => {
    const cache = new CollectionIdCache<string>(60_000);
    cache.set('CBeteiligte:1', '4', 'collection_a', t0);
    expect(cache.get('CBeteiligte:1', generation, now)).toBeUndefined();
    // and the stale value is gone for good, even under the old generation
    expect(cache.get('CBeteiligte:1', '4', t0)).toBeUndefined();
  });

  it('trusts nothing and stores nothing without a generation (Redis did not answer)', () => {
    const cache = new CollectionIdCache<string>();
    cache.set('CBeteiligte:1', null, 'collection_a', t0);
    expect(cache.get('CBeteiligte:1', null, t0)).toBeUndefined();
    cache.set('CBeteiligte:1', '4', 'collection_a', t0);
    expect(cache.get('CBeteiligte:1', null, t0)).toBeUndefined();
  });

  it('forgets a value found wrong', () => {
    const cache = new CollectionIdCache<string>();
    cache.set('CBeteiligte:1', '4', 'collection_a', t0);
    cache.forget('CBeteiligte:1');
    expect(cache.get('CBeteiligte:1', '4', t0)).toBeUndefined();
  });

  it('drops the least recently stored key beyond maxKeys', () => {
    const cache = new CollectionIdCache<string>(60_000, 2);
    cache.set('a', '1', 'x', t0);
    cache.set('b', '1', 'y', t0);
    cache.set('c', '1', 'z', t0);
    expect(cache.get('a', '1', t0)).toBeUndefined();
    expect(cache.get('b', '1', t0)).toEqual({ value: 'y' });
    expect(cache.get('c', '1', t0)).toEqual({ value: 'z' });
  });
});
