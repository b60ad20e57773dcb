import { advowareSignature, buildTokenRequest } from './advoware-token.signing.js';

/**
 * Known answers for the token request's `HMAC512Signature`
 * (CONTRACTS.md: base64(hmacSha512(key = base64Decode(API key),
 * "{Product}:{AppID}:{Nonce}:{RequestTimeStamp}"))), computed once outside the hub
 * with openssl and written down here:
 *
 *   KEY_B64='q83vASNFZ4mrze8BI0VniQ=='   # bytes ab cd ef 01 23 45 67 89 ab cd ef 01 23 45 67 89
 *   HEX=$(printf '%s' "$KEY_B64" | base64 -d | xxd -p -c 256)
 *   printf '%s' '64:bitbylaw-hub:0f8fad5b-d9cb-469f-a165-70867728950e:2026-12-04T14:05:00.000Z' \
 *     | openssl dgst -sha512 -mac HMAC -macopt hexkey:$HEX -binary | base64 -w0
 *
 *   printf '%s' '64:bitbylaw-hub-test:11111111-2222-4333-8444-555555555555:2026-01-01T00:00:00.000Z' \
 *     | openssl dgst -sha512 -hmac 'advoware-hmac-key-secret-bytes' -binary | base64 -w0
 *
 * The first key is not valid UTF-8, so a signer that used the base64 text or a
 * re-encoded string as the key would fail it.
 */
const VECTORS = [
  {
    apiKey: 'q83vASNFZ4mrze8BI0VniQ==',
    product: 64,
    appId: 'bitbylaw-hub',
    nonce: '0f8fad5b-d9cb-469f-a165-70867728950e',
    time: '2026-12-04T14:05:00.000Z',
    signature:
      'x4EElqzRjnIAzy1aI4ymWyvdQB6N0QuZfNtil0D9f4PdL7vlY/X+jVszwxXS+dGYtnVQPax7IhZJpRBUEt6k3w==',
  },
  {
    // base64 of "advoware-hmac-key-secret-bytes", the tests' key (test/support/test-env.ts)
    apiKey: 'YWR2b3dhcmUtaG1hYy1rZXktc2VjcmV0LWJ5dGVz',
    product: 64,
    appId: 'bitbylaw-hub-test',
    nonce: '11111111-2222-4333-8444-555555555555',
    time: '2026-01-01T00:00:00.000Z',
    signature:
      'ArwBOuEVGf2y+o8IaGdf+GYr9IWRc549tGXR9vf2u8/M2OZH0HTRIOhmwrACowyYBcWvJK2m3DG/fLSES4IMqw==',
  },
];

describe('Advoware token signature: known answers (openssl)', () => {
  it.each(VECTORS)('signs $appId at $time as openssl does', (v) => {
    expect(advowareSignature(v.apiKey, v.product, v.appId, v.nonce, v.time)).toBe(v.signature);
  });

  it('puts the known signature into the token request with the nonce and time it signed', () => {
    const v = VECTORS[0];
    const request = buildTokenRequest(
      {
        appId: v.appId,
        kanzlei: 'K1',
        database: 'DB1',
        user: 'hub',
        password: 'pw',
        role: 2,
        product: v.product,
        apiKey: v.apiKey,
      },
      v.nonce,
      v.time,
    );
    expect(request).toEqual({
      AppID: 'bitbylaw-hub',
      Kanzlei: 'K1',
      Database: 'DB1',
      User: 'hub',
      Role: 2,
      Product: 64,
      Password: 'pw',
      Nonce: '0f8fad5b-d9cb-469f-a165-70867728950e',
      HMAC512Signature: v.signature,
      RequestTimeStamp: '2026-12-04T14:05:00.000Z',
    });
  });

  it('any other product, app id, nonce or time gives another signature', () => {
    const v = VECTORS[0];
    const others = [
      advowareSignature(v.apiKey, 65, v.appId, v.nonce, v.time),
      advowareSignature(v.apiKey, v.product, 'bitbylaw-hub2', v.nonce, v.time),
      advowareSignature(v.apiKey, v.product, v.appId, `${v.nonce.slice(0, -1)}f`, v.time),
      advowareSignature(v.apiKey, v.product, v.appId, v.nonce, '2026-12-04T14:05:01.000Z'),
    ];
    for (const s of others) expect(s).not.toBe(v.signature);
  });
});
