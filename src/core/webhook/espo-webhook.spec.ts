import { execFileSync } from 'node:child_process';
import { MAX_WEBHOOK_ITEMS, parseEspoWebhookBody } from './espo-webhook-body.js';
import {
  signEspoWebhook,
  signEspoWebhookLegacy,
  verifyEspoSignature,
  verifyEspoWebhook,
} from './espo-signature.js';
import { parseWebhookBindings, webhookRouteName } from '../../config/webhook-bindings.js';

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

  it.each([
    [50, true],
    [100, true],
    [101, false],
    [1001, false],
  ])('a batch of %i records is accepted: %s (cap 100)', (n, ok) => {
    expect(MAX_WEBHOOK_ITEMS).toBe(100);
    const parsed = parseEspoWebhookBody(Array.from({ length: n }, (_, i) => ({ id: `id${i}` })));
    expect(parsed.ok).toBe(ok);
    if (!parsed.ok) expect(parsed.reason).toBe(`batch has ${n} records; at most 100 are accepted`);
  });
});

/**
 * Known answers computed outside the hub's code. EspoCRM's PHP:
 *   Signature:   base64_encode($id . ':' . hash_hmac('sha256', $payload, $secret))
 *   X-Signature: base64_encode($id . ':' . hash_hmac('sha256', $payload, $secret, true))
 * The constants were written down once from openssl:
 *   B='[{"id":"6650f1a2b3c4d5e6f","name":"Akte 4711"}]'
 *   hex=$(printf '%s' "$B" | openssl dgst -sha256 -hmac 'espo-secret-1' -hex | sed 's/.*= //')
 *   printf '%s' "6650f1a2b3c4d5e70:$hex" | base64 -w0
 *   (printf '%s' '6650f1a2b3c4d5e70:'; printf '%s' "$B" | openssl dgst -sha256 -hmac 'espo-secret-1' -binary) | base64 -w0
 * and the same for B='[{"id":"doc8"}]', whose raw digest contains a ':' byte (0x3a at
 * byte 13: bd31ba4d4658cb106515ab095b3a…).
 */
const WEBHOOK_ID = '6650f1a2b3c4d5e70';
const SECRET = 'espo-secret-1';
const KNOWN = [
  {
    body: '[{"id":"6650f1a2b3c4d5e6f","name":"Akte 4711"}]',
    signature:
      'NjY1MGYxYTJiM2M0ZDVlNzA6ODAwMWQ2ZmRlZmJkODkxODBlMTQyMjJkNjQzMjEzY2FmNDExMWY2OTA2OTc5ZjI2ZWQwMWFkODRhOGQyM2ZiZg==',
    xSignature: 'NjY1MGYxYTJiM2M0ZDVlNzA6gAHW/e+9iRgOFCItZDITyvQRH2kGl58m7QGthKjSP78=',
  },
  {
    body: '[{"id":"doc8"}]',
    signature:
      'NjY1MGYxYTJiM2M0ZDVlNzA6YmQzMWJhNGQ0NjU4Y2IxMDY1MTVhYjA5NWIzYTUxZTk4MjM3ZTFkYmFhODZlNDczZTgyMmI0MTEwNDdiNWNiYw==',
    xSignature: 'NjY1MGYxYTJiM2M0ZDVlNzA6vTG6TUZYyxBlFasJWzpR6YI34duqhuRz6CK0EQR7XLw=',
  },
];

/** Asks openssl at test time, so the vectors are not only the ones above. */
function opensslHmac(secret: string, body: string): Buffer {
  return execFileSync('openssl', ['dgst', '-sha256', '-hmac', secret, '-binary'], {
    input: body,
  });
}

describe('EspoCRM signatures: known answers', () => {
  const secrets = new Map([[WEBHOOK_ID, SECRET]]);

  it.each(KNOWN)('signs and verifies $body as EspoCRM does', ({ body, signature, xSignature }) => {
    const raw = Buffer.from(body);
    expect(signEspoWebhook(WEBHOOK_ID, SECRET, raw)).toBe(signature);
    expect(signEspoWebhookLegacy(WEBHOOK_ID, SECRET, raw)).toBe(xSignature);
    expect(verifyEspoWebhook({ signature }, raw, secrets)).toEqual({
      result: 'ok',
      form: 'signature',
      webhookId: WEBHOOK_ID,
    });
    expect(verifyEspoWebhook({ xSignature }, raw, secrets)).toEqual({
      result: 'ok',
      form: 'x-signature',
      webhookId: WEBHOOK_ID,
    });
    expect(verifyEspoWebhook({ signature, xSignature }, raw, secrets).result).toBe('ok');
  });

  it('the second vector really has a ":" inside its raw digest', () => {
    const digest = opensslHmac(SECRET, KNOWN[1].body);
    expect(digest.indexOf(0x3a)).toBe(13);
  });

  it.each(['[]', '[{"id":"a"}]', '[{"id":"x","name":"Müller & Söhne"}]'])(
    'agrees with openssl for %s',
    (body) => {
      const digest = opensslHmac('another-secret', body);
      const id = 'wh9';
      const signature = Buffer.from(`${id}:${digest.toString('hex')}`).toString('base64');
      const xSignature = Buffer.concat([Buffer.from(`${id}:`), digest]).toString('base64');
      const map = new Map([[id, 'another-secret']]);
      expect(verifyEspoWebhook({ signature }, Buffer.from(body), map).result).toBe('ok');
      expect(verifyEspoWebhook({ xSignature }, Buffer.from(body), map).result).toBe('ok');
    },
  );
});

describe('verifyEspoWebhook', () => {
  const secrets = new Map([
    ['wh1', 'secret-one'],
    ['wh2', 'secret-two'],
  ]);
  const body = Buffer.from('[{"id":"abc"}]');
  const tampered = Buffer.from('[{"id":"abd"}]');
  const legacy = (id: string, secret: string) => signEspoWebhookLegacy(id, secret, body);
  const modern = (id: string, secret: string) => signEspoWebhook(id, secret, body);

  it.each([
    ['nothing', {}, body, 'missing', undefined],
    ['blank Signature', { signature: '  ' }, body, 'missing', undefined],
    ['Signature garbage', { signature: 'bm90LWEtc2ln' }, body, 'malformed', 'signature'],
    [
      'Signature unknown id',
      { signature: modern('wh3', 'secret-one') },
      body,
      'unknown_webhook',
      'signature',
    ],
    [
      'Signature wrong secret',
      { signature: modern('wh1', 'wrong') },
      body,
      'mismatch',
      'signature',
    ],
    [
      'Signature other body',
      { signature: modern('wh1', 'secret-one') },
      tampered,
      'mismatch',
      'signature',
    ],
    ['X-Signature alone', { xSignature: legacy('wh1', 'secret-one') }, body, 'ok', 'x-signature'],
    ['X-Signature garbage', { xSignature: 'bm90LWEtc2ln' }, body, 'malformed', 'x-signature'],
    [
      'X-Signature without an id (digest only)',
      { xSignature: Buffer.alloc(32, 7).toString('base64') },
      body,
      'malformed',
      'x-signature',
    ],
    [
      'X-Signature with a hex digest',
      { xSignature: Buffer.from(`wh1:${'a'.repeat(64)}`).toString('base64') },
      body,
      'malformed',
      'x-signature',
    ],
    [
      'X-Signature unknown id',
      { xSignature: legacy('wh3', 'secret-one') },
      body,
      'unknown_webhook',
      'x-signature',
    ],
    [
      'X-Signature wrong secret',
      { xSignature: legacy('wh1', 'wrong') },
      body,
      'mismatch',
      'x-signature',
    ],
    [
      'X-Signature other body',
      { xSignature: legacy('wh1', 'secret-one') },
      tampered,
      'mismatch',
      'x-signature',
    ],
    [
      'both right',
      { signature: modern('wh1', 'secret-one'), xSignature: legacy('wh1', 'secret-one') },
      body,
      'ok',
      'signature',
    ],
    [
      'Signature right, X-Signature wrong',
      { signature: modern('wh1', 'secret-one'), xSignature: legacy('wh1', 'wrong') },
      body,
      'mismatch',
      'x-signature',
    ],
    [
      'Signature wrong, X-Signature right (no fallback)',
      { signature: modern('wh1', 'wrong'), xSignature: legacy('wh1', 'secret-one') },
      body,
      'mismatch',
      'signature',
    ],
    [
      'the two headers name different webhooks',
      { signature: modern('wh1', 'secret-one'), xSignature: legacy('wh2', 'secret-two') },
      body,
      'mismatch',
      'x-signature',
    ],
  ] as const)('%s → %s', (_label, headers, raw, result, form) => {
    const verdict = verifyEspoWebhook(headers, raw, secrets);
    expect(verdict.result).toBe(result);
    expect(verdict.form).toBe(form);
  });

  it('the Signature-only helper still tells missing, malformed, unknown and tampered apart', () => {
    expect(verifyEspoSignature(undefined, body, secrets)).toBe('missing');
    expect(verifyEspoSignature('bm90LWEtc2ln', body, secrets)).toBe('malformed');
    expect(verifyEspoSignature(modern('wh1', 'secret-one'), body, secrets)).toBe('ok');
    expect(verifyEspoSignature(modern('wh1', 'secret-one'), tampered, secrets)).toBe('mismatch');
  });
});

describe('parseWebhookBindings', () => {
  it('binds each webhook id to its routes; the old format is unbound', () => {
    const parsed = parseWebhookBindings(
      'a1:s1@document.update, a2:s2@document.create+document.delete ,a3:s3',
    );
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.bindings.map((b) => [b.webhookId, b.secret, b.routes && [...b.routes]])).toEqual([
      ['a1', 's1', ['document.update']],
      ['a2', 's2', ['document.create', 'document.delete']],
      ['a3', 's3', undefined],
    ]);
  });

  it('accepts nothing configured', () => {
    expect(parseWebhookBindings('')).toEqual({ ok: true, bindings: [] });
    expect(parseWebhookBindings(undefined)).toEqual({ ok: true, bindings: [] });
  });

  it.each([
    ['no-colon-here', false, 'no ":" after the webhook id'],
    [':secret@document.update', false, 'no ":" after the webhook id'],
    ['a1:@document.update', false, 'the secret is empty'],
    ['a1:se@cret@document.update', false, 'unknown route "cret@document.update"'],
    ['a1:s@document.udpate', false, 'unknown route "document.udpate"'],
    ['a1:s@', false, 'unknown route ""'],
    ['a1:s1@document.update,a1:s2@document.delete', false, 'configured twice'],
    ['a1:s1', true, 'a1) is bound to no route'],
    ['a1:s1@document.update,a2:s2', true, 'entry 2 (a2) is bound to no route'],
  ])('refuses %s (production: %s) naming the problem', (value, production, problem) => {
    const parsed = parseWebhookBindings(value, { production });
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.problems.join('\n')).toContain(problem);
  });

  it('accepts bound ids in production', () => {
    expect(parseWebhookBindings('a1:s1@beteiligte.create', { production: true }).ok).toBe(true);
  });
});

describe('webhookRouteName', () => {
  it.each([
    ['/vmh/webhook/document/delete', 'document.delete'],
    ['/vmh/webhook/beteiligte/create/', 'beteiligte.create'],
    ['/vmh/webhook/entity/link?x=1', 'entity.link'],
    ['/probe/webhook', 'probe.webhook'],
  ])('%s → %s', (path, name) => {
    expect(webhookRouteName(path)).toBe(name);
  });
});
