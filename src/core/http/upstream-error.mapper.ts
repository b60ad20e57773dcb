import { Readable } from 'node:stream';
import axios, { AxiosError, type AxiosResponse } from 'axios';
import {
  PermanentUpstreamError,
  TransientUpstreamError,
  type UpstreamError,
  type UpstreamSystem,
  parseRetryAfter,
  upstreamErrorForStatus,
} from '../errors/upstream.errors.js';

/** What the mapping needs to know of the upstream a failed call went to. */
export interface UpstreamErrorSource {
  system: UpstreamSystem;
  /** Reads the human reason out of an error answer (EspoCRM: `X-Status-Reason`). */
  reasonOf?: (response: AxiosResponse) => string | undefined;
}

/**
 * A failed axios call as one of the hub's error classes, so the retry policy can
 * decide: an answer by its status (with the upstream's reason and `Retry-After`), an
 * answer over the size limit as permanent, no answer at all as transient.
 */
export function toUpstreamError(
  options: UpstreamErrorSource,
  err: AxiosError,
): UpstreamError | AxiosError {
  if (!axios.isAxiosError(err)) return err;
  const method = (err.config?.method ?? 'get').toUpperCase();
  const path = (err.config?.url ?? '').split('?')[0];
  if (err.response) {
    const reason = options.reasonOf?.(err.response) ?? reasonFromBody(err.response.data);
    return upstreamErrorForStatus(options.system, err.response.status, {
      reason,
      method,
      path,
      body: err.response.data,
      retryAfterMs: parseRetryAfter(err.response.headers?.['retry-after']),
    });
  }
  if (err.code === AxiosError.ERR_BAD_RESPONSE && /maxContentLength/.test(err.message)) {
    // The same call would get the same answer: not worth a retry.
    return new PermanentUpstreamError(
      options.system,
      `${options.system} answer on ${method} ${path} too large (${err.message})`,
      { method, path, reason: 'answer too large' },
    );
  }
  // No answer: timeout, refused, reset. The request may or may not have reached the
  // upstream, which is why every create in the hub looks for its reference first.
  const kind =
    err.code === 'ECONNABORTED' || err.code === 'ETIMEDOUT'
      ? 'timeout'
      : (err.code ?? 'network error');
  const e = new TransientUpstreamError(
    options.system,
    `${options.system} ${kind} on ${method} ${path}`,
    {
      method,
      path,
      reason: kind,
    },
  );
  (e as { code?: string }).code = err.code;
  return e;
}

function reasonFromBody(data: unknown): string | undefined {
  if (data === null || data === undefined) return undefined;
  if (typeof data === 'string') return data.slice(0, 300) || undefined;
  if (Buffer.isBuffer(data)) return data.toString('utf8').slice(0, 300) || undefined;
  const d = data as { error?: unknown; message?: unknown };
  if (typeof d.error === 'string') return d.error;
  if (
    d.error &&
    typeof d.error === 'object' &&
    typeof (d.error as { message?: unknown }).message === 'string'
  ) {
    return (d.error as { message: string }).message;
  }
  if (typeof d.message === 'string') return d.message;
  return JSON.stringify(data).slice(0, 300);
}

export function isReadable(data: unknown): data is Readable {
  return data instanceof Readable;
}

/** Up to `limit` bytes of a stream, then the stream is destroyed. */
export function readHead(stream: Readable, limit: number): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = () => {
      stream.removeAllListeners('data');
      resolve(Buffer.concat(chunks).subarray(0, limit));
    };
    stream.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= limit) {
        stream.destroy();
        done();
      }
    });
    stream.once('end', done);
    stream.once('error', done);
    stream.once('close', done);
  });
}
