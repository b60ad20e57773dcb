import { parseEspoWebhookBody } from './espo-webhook-body.js';
import { signEspoWebhook, verifyEspoSignature } from './espo-signature.js';

describe('parseEspoWebhookBody', () => {
  it('takes the ids of an array of records, once each', () => {
    expect(parseEspoWebhookBody([{ id: 'a1' }, { id: 'b2', name: 'x' }, { id: 'a1' }])).toEqual({
      ok: true,
      ids: ['a1', 'b2'],
      total: 3,
    });
  });

  it.each([
    [{ id: 'a' }, 'body must be a JSON array'],
    ['[{"id":"a"}]', 'body must be a JSON array'],
    [[null], 'record 0 must be an object'],
    [[{ id: 'a' }, [1]], 'record 1 must be an object'],
    [[{ name: 'no id' }], 'record 0 has no valid "id"'],
    [[{ id: 42 }], 'record 0 has no valid "id"'],
    [[{ id: '' }], 'record 0 has no valid "id"'],
    [[{ id: '../etc' }], 'record 0 has no valid "id"'],
    [[{ id: 'x'.repeat(65) }], 'record 0 has no valid "id"'],
  ])('refuses %j with a reason', (body, reason) => {
    const parsed = parseEspoWebhookBody(body);
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.reason).toContain(reason);
  });

  it('refuses batches over the limit', () => {
    const body = Array.from({ length: 1001 }, (_, i) => ({ id: `id${i}` }));
    expect(parseEspoWebhookBody(body).ok).toBe(false);
  });
});

describe('verifyEspoSignature', () => {
  const secrets = new Map([['wh1', 'secret-one']]);
  const body = Buffer.from('[{"id":"abc"}]');

  it('accepts the signature EspoCRM computes', () => {
    expect(verifyEspoSignature(signEspoWebhook('wh1', 'secret-one', body), body, secrets)).toBe(
      'ok',
    );
  });

  it('tells missing, malformed, unknown and tampered apart', () => {
    expect(verifyEspoSignature(undefined, body, secrets)).toBe('missing');
    expect(verifyEspoSignature('bm90LWEtc2ln', body, secrets)).toBe('malformed');
    expect(verifyEspoSignature(signEspoWebhook('wh2', 'secret-one', body), body, secrets)).toBe(
      'unknown_webhook',
    );
    expect(verifyEspoSignature(signEspoWebhook('wh1', 'wrong', body), body, secrets)).toBe(
      'mismatch',
    );
    const tampered = Buffer.from('[{"id":"abd"}]');
    expect(verifyEspoSignature(signEspoWebhook('wh1', 'secret-one', body), tampered, secrets)).toBe(
      'mismatch',
    );
  });
});
