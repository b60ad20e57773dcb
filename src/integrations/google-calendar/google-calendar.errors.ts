import {
  TransientUpstreamError,
  UpstreamError,
  isTransientStatus,
  parseRetryAfter,
  upstreamErrorForStatus,
} from '../../core/errors/upstream.errors.js';
import {
  EventChangedError,
  GoogleTokenError,
  RATE_LIMIT_REASONS,
} from './google-calendar.types.js';

/** The shape of a GaxiosError that matters here (gaxios 7; duck-typed across its copies). */
interface GaxiosLikeError {
  code?: string | number;
  cause?: { name?: unknown };
  config?: { url?: URL | string; method?: string };
  response?: { status: number; data?: unknown; headers?: unknown };
}

export interface GoogleErrorContext {
  /** The API method, e.g. `events.list`, for messages and metric labels. */
  op: string;
  /** Where the token requests go (the configured GOOGLE_TOKEN_URL), to tell auth failures apart. */
  tokenUrls: string[];
  retryAfterCapMs: number;
  now?: number;
}

/**
 * Turns what googleapis throws into the hub's error classes. Google-specific rules:
 * 403 is a rate limit, hence transient, only with reason rateLimitExceeded,
 * userRateLimitExceeded or quotaExceeded; 412 is `EventChangedError`; a refusal by
 * the token endpoint is `GoogleTokenError` (permanent: the key or the delegation is
 * wrong). Anything that is not an upstream answer (a bug) passes through unchanged.
 */
export function toGoogleUpstreamError(err: unknown, ctx: GoogleErrorContext): unknown {
  if (err instanceof UpstreamError) return err;
  const e = err as GaxiosLikeError;
  if (!(err instanceof Error) || !e.config) return err;
  const url = String(e.config.url ?? '');
  const method = (e.config.method ?? 'GET').toUpperCase();
  const fromTokenEndpoint = ctx.tokenUrls.includes(url);
  const path = fromTokenEndpoint ? 'token' : ctx.op;
  const res = e.response;

  if (!res) {
    // gaxios reports its own timeout as an aborted fetch; nothing else aborts here.
    const cause = e.cause?.name;
    const timedOut =
      cause === 'AbortError' || cause === 'TimeoutError' || e.code === 'TimeoutError';
    const code = timedOut ? 'ETIMEDOUT' : typeof e.code === 'string' ? e.code : undefined;
    const kind = timedOut ? 'timeout' : (code ?? 'network error');
    const out = new TransientUpstreamError('google', `google ${kind} on ${path}`, {
      method,
      path,
      reason: kind,
    });
    (out as { code?: string }).code = code;
    return out;
  }

  const status = res.status;
  const retryAfterMs = parseRetryAfter(
    headerOf(res.headers, 'retry-after'),
    ctx.retryAfterCapMs,
    ctx.now,
  );
  if (fromTokenEndpoint) {
    const body = res.data as { error?: unknown; error_description?: unknown } | undefined;
    const reason = typeof body?.error === 'string' ? body.error : undefined;
    const details = { status, reason, retryAfterMs, method, path, body: res.data };
    if (isTransientStatus(status)) {
      return new TransientUpstreamError(
        'google',
        `google token endpoint answered ${status}`,
        details,
      );
    }
    const description =
      typeof body?.error_description === 'string' ? `: ${body.error_description}` : '';
    return new GoogleTokenError(
      'google',
      `google token endpoint refused the assertion (${reason ?? status})${description}`,
      details,
    );
  }

  const { reason, message } = googleReason(res.data);
  const details = { status, reason, retryAfterMs, method, path, body: res.data };
  if (status === 403 && reason && RATE_LIMIT_REASONS.has(reason)) {
    return new TransientUpstreamError(
      'google',
      `google answered 403 on ${method} ${ctx.op}: ${reason}`,
      details,
    );
  }
  if (status === 412) {
    return new EventChangedError(
      'google',
      `google answered 412 on ${method} ${ctx.op}: the event changed since it was read`,
      details,
    );
  }
  const mapped = upstreamErrorForStatus('google', status, details);
  if (message) mapped.message += ` (${message})`;
  return mapped;
}

/** Google's error body `{error: {code, message, errors: [{reason}]}}`. */
function googleReason(data: unknown): { reason?: string; message?: string } {
  const error = (
    data as { error?: { message?: unknown; errors?: Array<{ reason?: unknown }> } } | undefined
  )?.error;
  if (!error || typeof error !== 'object') return {};
  const reason = error.errors?.find((x) => typeof x?.reason === 'string')?.reason as
    string | undefined;
  return { reason, message: typeof error.message === 'string' ? error.message : undefined };
}

function headerOf(headers: unknown, name: string): string | undefined {
  if (!headers) return undefined;
  if (typeof (headers as Headers).get === 'function')
    return (headers as Headers).get(name) ?? undefined;
  const value = (headers as Record<string, unknown>)[name];
  return typeof value === 'string' ? value : undefined;
}
