/**
 * Validation of the proxy's `endpoint` parameter: it must name a path below the
 * Advoware API base and nothing else, so the hub never becomes a door to another
 * host or to a path outside the API (SSRF, traversal).
 *
 * The value arrives decoded once (the query string's own encoding). A `%` left in
 * it means a second layer of encoding, which only serves to hide `../` or `//` from
 * a check like this one: refused outright rather than decoded again. What is left
 * must be plain path characters, in non-empty segments, none of them `.` or `..`.
 */

export type EndpointCheck =
  { ok: true; path: string } | { ok: false; status: 400 | 403; message: string };

const MAX_LENGTH = 2048;
/**
 * Letters and digits of any script, and the unreserved/sub-delim characters a REST
 * path may use; not `;`, which some servers read as a path parameter (`..;/`).
 */
const PATH_CHARS = /^[\p{L}\p{N}\-._~!$'()*+,=/]+$/u;

export function validateProxyEndpoint(
  raw: unknown,
  allowedPrefixes: readonly string[] = [],
): EndpointCheck {
  if (typeof raw !== 'string' || raw.trim() === '') return bad('Endpoint required as query param');
  if (raw.length > MAX_LENGTH) return bad(`endpoint longer than ${MAX_LENGTH} characters`);
  if (/\p{Cc}/u.test(raw)) return bad('endpoint contains control characters');
  if (raw.includes('\\')) return bad('endpoint contains a backslash');
  if (raw.includes('%'))
    return bad(
      'endpoint contains percent-encoding after decoding (double encoding is not accepted)',
    );
  if (/^[a-z][a-z0-9+.-]*:/i.test(raw) || raw.includes(':'))
    return bad('endpoint must be a relative path, not a URL');
  if (raw.startsWith('//'))
    return bad('endpoint must be a relative path, not a scheme-relative URL');
  if (raw.includes('@')) return bad('endpoint contains "@"');
  if (raw.includes('?') || raw.includes('#')) {
    return bad('endpoint must be a path only; pass query parameters beside it');
  }
  if (!PATH_CHARS.test(raw)) return bad('endpoint contains characters not allowed in a path');

  const path = raw.replace(/^\//, '');
  const segments = path.split('/');
  // A trailing slash is harmless; any other empty segment (`a//b`) is not a path an API uses.
  const inner = segments[segments.length - 1] === '' ? segments.slice(0, -1) : segments;
  if (inner.length === 0 || inner.some((s) => s === ''))
    return bad('endpoint contains an empty path segment');
  if (inner.some((s) => s === '.' || s === '..'))
    return bad('endpoint contains a "." or ".." segment');

  // A bare resource (`employees`, as internal tools call it) lives below the API base.
  const resolved = belowApi(path);
  if (
    allowedPrefixes.length > 0 &&
    !allowedPrefixes.some((p) => underPrefix(resolved, p.trim() === '' ? p : belowApi(p)))
  ) {
    return { ok: false, status: 403, message: 'endpoint is outside the allowed prefixes' };
  }
  return { ok: true, path: resolved };
}

/** A bare resource (`employees`) below `api/v1/advonet/`; a path naming `api/…` stays as it is. */
function belowApi(path: string): string {
  const p = path.replace(/^\/+/, '');
  return /^api\//i.test(p) ? p : `api/v1/advonet/${p}`;
}

/**
 * Segment-wise and case-insensitive: `Beteiligte` does not admit `BeteiligteX`,
 * and Advoware runs on IIS, where `API/V1` reaches the same resource as `api/v1`.
 */
function underPrefix(path: string, prefix: string): boolean {
  const p = prefix.replace(/^\/+/, '').replace(/\/+$/, '').toLowerCase();
  if (p === '') return true;
  const candidate = path.replace(/\/+$/, '').toLowerCase();
  return candidate === p || candidate.startsWith(`${p}/`);
}

function bad(message: string): EndpointCheck {
  return { ok: false, status: 400, message };
}

/** The endpoint as it may appear in a log line: bounded and without anything that could forge a line. */
export function loggableEndpoint(raw: unknown): string {
  if (typeof raw !== 'string') return '-';
  return JSON.stringify(raw.length > 200 ? `${raw.slice(0, 200)}…` : raw);
}
