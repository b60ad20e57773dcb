import {
  UpstreamError,
  UpstreamUnauthorizedError,
  upstreamErrorForStatus,
} from '../../core/errors/upstream.errors.js';

/**
 * The security gateway refused the hub's own credentials: a configuration problem
 * of the hub, not of the caller (the proxy answers 502 for it, not 401).
 */
export class AdvowareAuthenticationError extends UpstreamUnauthorizedError {}

/**
 * Advoware is an ASP.NET service: errors carry `Message` (Web API's default), the
 * gateway OAuth-style `error`/`error_description`. Unverified; anything else falls
 * back to the generic reader.
 */
export function advowareReason(data: unknown): string | undefined {
  if (!data || typeof data !== 'object' || Buffer.isBuffer(data)) return undefined;
  const d = data as Record<string, unknown>;
  const text = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
  const error = text(d.error);
  const description = text(d.error_description);
  if (error && description) return `${error}: ${description}`;
  return text(d.Message) ?? text(d.message) ?? error ?? description;
}

/** With `responseType: 'arraybuffer'` an error body arrives as bytes; callers want it readable. */
export function decodeErrorBody(err: unknown): unknown {
  if (!(err instanceof UpstreamError) || !Buffer.isBuffer(err.body) || err.status === undefined)
    return err;
  const text = err.body.toString('utf8');
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON: the text is the body.
  }
  const decoded = upstreamErrorForStatus('advoware', err.status, {
    reason: advowareReason(body) ?? err.reason,
    body,
    retryAfterMs: err.retryAfterMs,
  });
  decoded.message = err.message;
  return decoded;
}
