import { eventIdFromFrNr, frNrFromEventId, isValidEventId } from './google-calendar.event-id.js';

/**
 * Known answers for the Google event ids the hub derives from an Advoware `frNr`,
 * written down by hand (not computed by the hub's code), and checked against
 * Google's own rule restated here independently (CONTRACTS.md, events.insert `id`:
 * "characters allowed are those used in base32hex encoding, i.e. lowercase letters
 * a-v and digits 0-9", length 5 to 1024).
 */
const KNOWN: Array<[number | string, string]> = [
  [0, 'adv00'],
  [7, 'adv07'],
  [4711, 'adv04711'],
  ['0004711', 'adv04711'],
  [123456789, 'adv0123456789'],
  ['18446744073709551615', 'adv018446744073709551615'],
];

const BASE32HEX = 'abcdefghijklmnopqrstuv0123456789';
function googleAccepts(id: string): boolean {
  return id.length >= 5 && id.length <= 1024 && [...id].every((c) => BASE32HEX.includes(c));
}

describe('Google event ids: known answers', () => {
  it.each(KNOWN)('frNr %p → %s, an id Google accepts, and back', (frNr, id) => {
    expect(eventIdFromFrNr(frNr)).toBe(id);
    expect(googleAccepts(id)).toBe(true);
    expect(isValidEventId(id)).toBe(true);
    expect(frNrFromEventId(id)).toBe(String(frNr).replace(/^0+(?=\d)/, ''));
  });

  it.each([
    // ids Google itself generates (base32hex, 26 characters) are no frNr of ours
    ['7kbq0e2t5ca3kf8evs1lmr3o3b', true],
    ['adv0', false], // 4 characters: too short for Google
    ['ADV04711', false], // upper case is not base32hex
    ['adv0_4711', false],
    ['adw04711', false], // w is beyond base32hex's v
    ['a'.repeat(1024), true],
    ['a'.repeat(1025), false],
  ])('%s: Google accepts it: %s, and the hub agrees', (id, accepted) => {
    expect(googleAccepts(id)).toBe(accepted);
    expect(isValidEventId(id)).toBe(accepted);
  });

  it('reads no frNr out of an id Google generated', () => {
    expect(frNrFromEventId('7kbq0e2t5ca3kf8evs1lmr3o3b')).toBeUndefined();
  });
});
