import type { AxiosResponse } from 'axios';
import type { Readable } from 'node:stream';
import {
  TransientUpstreamError,
  type UpstreamError,
  ValidationError,
  parseRetryAfter,
  upstreamErrorForStatus,
} from '../../core/errors/upstream.errors.js';

/** What an attachment download's headers announce. */
export interface AttachmentHead {
  /** `Content-Type` without parameters, lower case; undefined when absent. */
  contentType?: string;
  /** `Content-Length`; undefined when absent (chunked). */
  size?: number;
  /** From `Content-Disposition`. */
  filename?: string;
}

export interface AttachmentDownloadOptions {
  /** The most bytes accepted; more (announced or received) aborts with a `ValidationError`. */
  maxBytes?: number;
  /** Asked before the body is read; a reason aborts the download with a `ValidationError` carrying it. */
  refuse?: (head: AttachmentHead) => string | undefined;
}

export interface AttachmentDownload {
  data: Buffer;
  contentType?: string;
  filename?: string;
  /** Bytes received. */
  size: number;
}

/** How much of an error answer is read for its reason. */
const ERROR_BODY_BYTES = 4096;

/**
 * The attachment of a 2xx `GET Attachment/file/{id}` answer (a stream): refused on its
 * headers (`refuse`, or `maxBytes` by Content-Length) before the body is read, or by
 * the bytes received; a refusal ends the transfer and throws a `ValidationError`.
 */
export async function readAttachment(
  res: AxiosResponse<Readable>,
  attachmentId: string,
  path: string,
  opts: AttachmentDownloadOptions,
): Promise<AttachmentDownload> {
  const head = attachmentHead(res.headers);
  const refusal =
    opts.refuse?.(head) ??
    (opts.maxBytes !== undefined && head.size !== undefined && head.size > opts.maxBytes
      ? tooLarge(attachmentId, head.size, opts.maxBytes, 'announces')
      : undefined);
  if (refusal) {
    res.data.destroy();
    throw new ValidationError(refusal);
  }
  const data = await readBody(res.data, attachmentId, path, opts.maxBytes);
  return { data, contentType: head.contentType, filename: head.filename, size: data.length };
}

function headerValue(headers: AxiosResponse['headers'], name: string): string | undefined {
  const v: unknown = headers?.[name];
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

export function attachmentHead(headers: AxiosResponse['headers']): AttachmentHead {
  const type = headerValue(headers, 'content-type')?.split(';')[0].trim().toLowerCase();
  const length = Number(headerValue(headers, 'content-length'));
  return {
    contentType: type || undefined,
    size:
      Number.isSafeInteger(length) && length >= 0 && headerValue(headers, 'content-length')
        ? length
        : undefined,
    filename: dispositionFilename(headerValue(headers, 'content-disposition')),
  };
}

/** `filename*=UTF-8''…` (RFC 6266) wins over a plain `filename="…"`. */
export function dispositionFilename(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const extended = /filename\*\s*=\s*[^']*'[^']*'([^;]+)/i.exec(value);
  if (extended) {
    try {
      return decodeURIComponent(extended[1].trim()) || undefined;
    } catch {
      // a malformed encoding falls through to the plain parameter
    }
  }
  const plain = /filename\s*=\s*(?:"([^"]*)"|([^;]+))/i.exec(value);
  const name = (plain?.[1] ?? plain?.[2])?.trim();
  return name || undefined;
}

function tooLarge(id: string, bytes: number, limit: number, how: 'announces' | 'sent'): string {
  const what = how === 'announces' ? `announces ${bytes} bytes` : `sent more than ${bytes} bytes`;
  return `attachment ${id} ${what}, above the limit of ${limit} bytes (${(limit / (1024 * 1024)).toFixed(1)} MB); download aborted`;
}

/** The body, ended early (destroyed) once it passes `maxBytes`. */
function readBody(
  stream: Readable,
  id: string,
  path: string,
  maxBytes: number | undefined,
): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    let settled = false;
    const fail = (err: Error) => {
      if (settled) return;
      settled = true;
      stream.destroy();
      reject(err);
    };
    stream.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (maxBytes !== undefined && received > maxBytes) {
        fail(new ValidationError(tooLarge(id, maxBytes, maxBytes, 'sent')));
        return;
      }
      chunks.push(chunk);
    });
    stream.on('end', () => {
      if (settled) return;
      settled = true;
      resolve(Buffer.concat(chunks, received));
    });
    const broken = (reason: string) =>
      fail(
        new TransientUpstreamError('espocrm', `espocrm ${reason} on GET ${path}`, {
          method: 'GET',
          path,
          reason,
        }),
      );
    stream.on('error', (err: Error) => broken(`download broke off: ${err.message}`));
    stream.on('close', () => broken('download broke off before its end'));
  });
}

/** The typed error of a non-2xx download answer, its reason read from the first bytes of the body. */
export async function downloadError(
  res: AxiosResponse<Readable>,
  path: string,
): Promise<UpstreamError> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of res.data) {
      chunks.push(chunk as Buffer);
      size += (chunk as Buffer).length;
      if (size >= ERROR_BODY_BYTES) break;
    }
  } catch {
    // the status alone still classifies the error
  }
  res.data.destroy();
  const text = Buffer.concat(chunks).toString('utf8').slice(0, 300);
  return upstreamErrorForStatus('espocrm', res.status, {
    reason: statusReason(res) ?? bodyReason(text),
    method: 'GET',
    path,
    body: text,
    retryAfterMs: parseRetryAfter(res.headers?.['retry-after']),
  });
}

function bodyReason(text: string): string | undefined {
  try {
    const parsed = JSON.parse(text) as { message?: unknown; error?: unknown };
    if (typeof parsed.message === 'string') return parsed.message;
    if (typeof parsed.error === 'string') return parsed.error;
  } catch {
    // not JSON: the text is the reason
  }
  return text || undefined;
}

/** `X-Status-Reason`: EspoCRM's reason for an error answer. */
export function statusReason(response: AxiosResponse): string | undefined {
  const value: unknown = response.headers?.['x-status-reason'];
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}
