import { createHmac, timingSafeEqual } from 'node:crypto';

export type SignatureCheck = 'ok' | 'missing' | 'malformed' | 'unknown_webhook' | 'mismatch';

/**
 * Which header carried the signature:
 * - `signature`: EspoCRM ≥ 9.0, `Signature: base64(webhookId + ":" + hex(hmacSha256(rawBody, secret)))`;
 * - `x-signature`: EspoCRM before 9.0 (and, until v11, alongside the new one),
 *   `X-Signature: base64(webhookId + ":" + raw 32-byte hmacSha256(rawBody, secret))`.
 * Both formulas are EspoCRM's PHP (`hash_hmac('sha256', $payload, $secret)` and the
 * same with `true`), per its change note espocrm/espocrm#3220.
 */
export type SignatureForm = 'signature' | 'x-signature';

export interface SignatureVerdict {
  result: SignatureCheck;
  form?: SignatureForm;
  webhookId?: string;
}

const DIGEST_BYTES = 32;
const COLON = 0x3a;

/**
 * Verifies an EspoCRM webhook against the exact raw body, in constant time. The
 * modern `Signature` is authoritative; `X-Signature` alone is accepted (EspoCRM 8.x
 * sends only that). When both arrive, both must verify for the same webhook: a
 * wrong signature in either header is refused.
 */
export function verifyEspoWebhook(
  headers: { signature?: unknown; xSignature?: unknown },
  rawBody: Buffer,
  secrets: ReadonlyMap<string, string>,
): SignatureVerdict {
  const modern = present(headers.signature);
  const legacy = present(headers.xSignature);
  if (modern === undefined && legacy === undefined) return { result: 'missing' };
  if (modern === undefined) {
    return { ...verifyLegacy(legacy as string, rawBody, secrets), form: 'x-signature' };
  }
  const verdict = { ...verifyModern(modern, rawBody, secrets), form: 'signature' as const };
  if (verdict.result !== 'ok' || legacy === undefined) return verdict;
  const second = verifyLegacy(legacy, rawBody, secrets);
  if (second.result !== 'ok') return { ...second, form: 'x-signature' };
  if (second.webhookId !== verdict.webhookId) {
    return { result: 'mismatch', form: 'x-signature', webhookId: second.webhookId };
  }
  return verdict;
}

/** `Signature` alone (kept for callers that only see that header). */
export function verifyEspoSignature(
  header: unknown,
  rawBody: Buffer,
  secrets: ReadonlyMap<string, string>,
): SignatureCheck {
  const value = present(header);
  return value === undefined ? 'missing' : verifyModern(value, rawBody, secrets).result;
}

function present(header: unknown): string | undefined {
  if (Array.isArray(header)) return present(header[0]);
  return typeof header === 'string' && header.trim() !== '' ? header.trim() : undefined;
}

function verifyModern(
  header: string,
  rawBody: Buffer,
  secrets: ReadonlyMap<string, string>,
): SignatureVerdict {
  const decoded = Buffer.from(header, 'base64').toString('utf8');
  const sep = decoded.indexOf(':');
  if (sep <= 0) return { result: 'malformed' };
  const webhookId = decoded.slice(0, sep);
  const presented = decoded.slice(sep + 1);
  if (!/^[0-9a-f]{64}$/i.test(presented)) return { result: 'malformed', webhookId };
  const secret = secrets.get(webhookId);
  if (secret === undefined) return { result: 'unknown_webhook', webhookId };
  const expected = createHmac('sha256', secret).update(rawBody).digest();
  const ok = timingSafeEqual(expected, Buffer.from(presented, 'hex'));
  return { result: ok ? 'ok' : 'mismatch', webhookId };
}

function verifyLegacy(
  header: string,
  rawBody: Buffer,
  secrets: ReadonlyMap<string, string>,
): SignatureVerdict {
  // Work on bytes: the digest is raw binary and may itself contain ":" (0x3a) or
  // bytes that are not UTF-8. The webhook id (EspoCRM: 17 hex characters) has no
  // ":", so the FIRST ":" ends it and exactly 32 digest bytes must follow.
  const decoded = Buffer.from(header, 'base64');
  const sep = decoded.indexOf(COLON);
  if (sep <= 0) return { result: 'malformed' };
  const webhookId = decoded.subarray(0, sep).toString('utf8');
  const presented = decoded.subarray(sep + 1);
  if (presented.length !== DIGEST_BYTES) return { result: 'malformed', webhookId };
  const secret = secrets.get(webhookId);
  if (secret === undefined) return { result: 'unknown_webhook', webhookId };
  const expected = createHmac('sha256', secret).update(rawBody).digest();
  return { result: timingSafeEqual(expected, presented) ? 'ok' : 'mismatch', webhookId };
}

/** What EspoCRM ≥ 9.0 sends in `Signature`, for tests, the sandbox and the benchmark. */
export function signEspoWebhook(
  webhookId: string,
  secret: string,
  rawBody: Buffer | string,
): string {
  const hex = createHmac('sha256', secret).update(rawBody).digest('hex');
  return Buffer.from(`${webhookId}:${hex}`, 'utf8').toString('base64');
}

/** What EspoCRM (every version up to 11) sends in `X-Signature`. */
export function signEspoWebhookLegacy(
  webhookId: string,
  secret: string,
  rawBody: Buffer | string,
): string {
  const raw = createHmac('sha256', secret).update(rawBody).digest();
  return Buffer.concat([Buffer.from(`${webhookId}:`, 'utf8'), raw]).toString('base64');
}
