import { createHmac, timingSafeEqual } from 'node:crypto';

export type SignatureCheck = 'ok' | 'missing' | 'malformed' | 'unknown_webhook' | 'mismatch';

/**
 * EspoCRM's webhook signature (CONTRACTS.md):
 * `Signature: base64(webhookId + ":" + hex(hmacSha256(rawBody, secretKey)))`, one
 * secret per webhook, verified against the exact raw bytes in constant time.
 */
export function verifyEspoSignature(
  header: unknown,
  rawBody: Buffer,
  secrets: ReadonlyMap<string, string>,
): SignatureCheck {
  if (typeof header !== 'string' || header.trim() === '') return 'missing';
  const decoded = Buffer.from(header.trim(), 'base64').toString('utf8');
  const sep = decoded.indexOf(':');
  if (sep <= 0) return 'malformed';
  const webhookId = decoded.slice(0, sep);
  const presented = decoded.slice(sep + 1);
  if (!/^[0-9a-f]{64}$/i.test(presented)) return 'malformed';
  const secret = secrets.get(webhookId);
  if (secret === undefined) return 'unknown_webhook';
  const expected = createHmac('sha256', secret).update(rawBody).digest();
  return timingSafeEqual(expected, Buffer.from(presented, 'hex')) ? 'ok' : 'mismatch';
}

/** What EspoCRM sends, for tests, the sandbox and the benchmark. */
export function signEspoWebhook(
  webhookId: string,
  secret: string,
  rawBody: Buffer | string,
): string {
  const hex = createHmac('sha256', secret).update(rawBody).digest('hex');
  return Buffer.from(`${webhookId}:${hex}`, 'utf8').toString('base64');
}
