/**
 * Error classes that carry their retry class, so one policy (retry-policy.ts)
 * decides for every processor and client.
 */
export type UpstreamSystem = 'espocrm' | 'advoware' | 'xai' | 'google' | 'redis';

export interface UpstreamErrorDetails {
  status?: number;
  reason?: string;
  /** From a `Retry-After` header, already capped by the client. */
  retryAfterMs?: number;
  method?: string;
  path?: string;
  /** The upstream's error body, for callers that pass it on (the proxy). */
  body?: unknown;
}

export abstract class UpstreamError extends Error {
  abstract readonly transient: boolean;
  readonly status?: number;
  readonly reason?: string;
  readonly retryAfterMs?: number;
  readonly body?: unknown;
  /** The call that failed (path without query), so a caller can tell which of its calls it was. */
  readonly method?: string;
  readonly path?: string;

  constructor(
    readonly system: UpstreamSystem,
    message: string,
    details: UpstreamErrorDetails = {},
  ) {
    super(message);
    this.name = new.target.name;
    this.status = details.status;
    this.reason = details.reason;
    this.retryAfterMs = details.retryAfterMs;
    this.body = details.body;
    this.method = details.method;
    this.path = details.path;
  }
}

/** Network failure, timeout, 5xx, 429: worth retrying with backoff. */
export class TransientUpstreamError extends UpstreamError {
  readonly transient = true;
}

/** A 4xx the same request will always get again. */
export class PermanentUpstreamError extends UpstreamError {
  readonly transient = false;
}

export class UpstreamNotFoundError extends PermanentUpstreamError {}
export class UpstreamConflictError extends PermanentUpstreamError {}
export class UpstreamUnauthorizedError extends PermanentUpstreamError {}
export class UpstreamForbiddenError extends PermanentUpstreamError {}

/** Our own validation of data before any call (an invalid IBAN, a file too large). */
export class ValidationError extends Error {
  readonly transient = false;
  constructor(message: string) {
    super(message);
    this.name = 'ValidationError';
  }
}

const TRANSIENT_STATUSES = new Set([408, 425, 429, 500, 502, 503, 504]);

export function isTransientStatus(status: number): boolean {
  return TRANSIENT_STATUSES.has(status) || status >= 500;
}

/** Builds the right class for an HTTP status from any upstream. */
export function upstreamErrorForStatus(
  system: UpstreamSystem,
  status: number,
  details: UpstreamErrorDetails,
): UpstreamError {
  const where = details.method && details.path ? ` on ${details.method} ${details.path}` : '';
  const message = `${system} answered ${status}${where}${details.reason ? `: ${details.reason}` : ''}`;
  const d = { ...details, status };
  if (isTransientStatus(status)) return new TransientUpstreamError(system, message, d);
  if (status === 404 || status === 410) return new UpstreamNotFoundError(system, message, d);
  if (status === 409) return new UpstreamConflictError(system, message, d);
  if (status === 401) return new UpstreamUnauthorizedError(system, message, d);
  if (status === 403) return new UpstreamForbiddenError(system, message, d);
  return new PermanentUpstreamError(system, message, d);
}

const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ERR_SOCKET_CONNECTION_TIMEOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'ERR_CANCELED',
]);

/** True for errors below HTTP (no answer at all): always transient. */
export function isNetworkError(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' && NETWORK_CODES.has(code);
}

/**
 * Parses `Retry-After` (seconds or an HTTP date) into milliseconds, capped,
 * because an upstream asking for an hour must not park a worker for an hour.
 */
export function parseRetryAfter(
  value: unknown,
  capMs = 60_000,
  now = Date.now(),
): number | undefined {
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  const s = String(value).trim();
  if (s === '') return undefined;
  const seconds = Number(s);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(s) - now;
  if (!Number.isFinite(ms)) return undefined;
  return Math.min(Math.max(ms, 0), capMs);
}
