import { createHmac } from 'node:crypto';
import {
  advowareSignature,
  buildTokenRequest,
  newTokenRequest,
  tokenExpiresAt,
} from './advoware-token.signing.js';

const credentials = {
  appId: 'app-1',
  kanzlei: 'K1',
  database: 'DB1',
  user: 'hub',
  password: 'pw',
  role: 2,
  product: 64,
  apiKey: Buffer.from('the-secret-key-bytes').toString('base64'),
};

describe('advowareSignature', () => {
  it('matches an independently computed HMAC-SHA512 over product, app id, nonce and time with the decoded key', () => {
    const nonce = '0f8fad5b-d9cb-469f-a165-70867728950e';
    const ts = '2024-05-01T10:00:00.000Z';
    const expected = createHmac('sha512', Buffer.from('the-secret-key-bytes'))
      .update(`64:app-1:${nonce}:${ts}`)
      .digest('base64');
    expect(advowareSignature(credentials.apiKey, 64, 'app-1', nonce, ts)).toBe(expected);
  });

  it('uses the decoded key bytes, not the base64 text', () => {
    const wrong = createHmac('sha512', credentials.apiKey).update('64:app-1:n:t').digest('base64');
    expect(advowareSignature(credentials.apiKey, 64, 'app-1', 'n', 't')).not.toBe(wrong);
  });
});

describe('buildTokenRequest', () => {
  it('carries every field the gateway checks', () => {
    const body = buildTokenRequest(credentials, 'nonce-1', '2024-05-01T10:00:00.000Z');
    expect(body).toEqual({
      AppID: 'app-1',
      Kanzlei: 'K1',
      Database: 'DB1',
      User: 'hub',
      Role: 2,
      Product: 64,
      Password: 'pw',
      Nonce: 'nonce-1',
      HMAC512Signature: advowareSignature(
        credentials.apiKey,
        64,
        'app-1',
        'nonce-1',
        '2024-05-01T10:00:00.000Z',
      ),
      RequestTimeStamp: '2024-05-01T10:00:00.000Z',
    });
  });

  it('uses a fresh UUID nonce and an ISO-8601 UTC time for every request', () => {
    const a = newTokenRequest(credentials, new Date('2024-05-01T10:00:00Z'));
    const b = newTokenRequest(credentials, new Date('2024-05-01T10:00:00Z'));
    expect(a.Nonce).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(a.Nonce).not.toBe(b.Nonce);
    expect(a.RequestTimeStamp).toBe('2024-05-01T10:00:00.000Z');
  });
});

describe('tokenExpiresAt', () => {
  it('adds expires_in seconds to the receive time', () => {
    expect(tokenExpiresAt({ expires_in: 3300 }, 1_000)).toBe(1_000 + 3_300_000);
    expect(tokenExpiresAt({ expires_in: '60' }, 0)).toBe(60_000);
  });

  it('reads expiration_utc, treating a zoneless time as UTC', () => {
    expect(tokenExpiresAt({ expiration_utc: '2024-05-01T11:00:00' }, 0)).toBe(
      Date.parse('2024-05-01T11:00:00Z'),
    );
    expect(tokenExpiresAt({ expiration_utc: '2024-05-01T11:00:00+02:00' }, 0)).toBe(
      Date.parse('2024-05-01T09:00:00Z'),
    );
  });

  it('is undefined when the answer names no expiry', () => {
    expect(tokenExpiresAt({ access_token: 'x' }, 0)).toBeUndefined();
    expect(tokenExpiresAt({ expires_in: 0 }, 0)).toBeUndefined();
  });
});
