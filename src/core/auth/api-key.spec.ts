import { keyId, matchesAnyKey } from './api-key.js';

describe('matchesAnyKey', () => {
  it('accepts any of the allowed keys and nothing else', () => {
    expect(matchesAnyKey('b', ['a', 'b'])).toBe(true);
    expect(matchesAnyKey('c', ['a', 'b'])).toBe(false);
    expect(matchesAnyKey('', [''])).toBe(false);
    expect(matchesAnyKey(undefined, ['a'])).toBe(false);
    expect(matchesAnyKey(['a'], ['a'])).toBe(false);
  });

  it('gives a stable short id that is not the key', () => {
    expect(keyId('secret-key')).toHaveLength(8);
    expect(keyId('secret-key')).toBe(keyId('secret-key'));
    expect(keyId('secret-key')).not.toContain('secret');
  });
});
