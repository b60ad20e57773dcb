import { HttpService } from '@nestjs/axios';
import { Injectable, Logger } from '@nestjs/common';
import type { AxiosInstance } from 'axios';
import { AppConfig } from '../../config/app-config.js';
import {
  UpstreamConflictError,
  UpstreamError,
  UpstreamNotFoundError,
  ValidationError,
} from '../../core/errors/upstream.errors.js';
import {
  type UpstreamTarget,
  upstreamAxios,
  upstreamSibling,
} from '../../core/http/upstream-http.js';
import { type RetryOptions, withRetry } from '../../core/http/with-retry.js';
import { HubMetrics } from '../../core/metrics/hub-metrics.js';
import { backoffDelay } from '../../core/queue/retry-policy.js';
import { XAI_MAX_FILE_BYTES, formatBytes } from './xai-file-support.js';
import type {
  XaiCollection,
  XaiCollectionDocument,
  XaiCollectionInput,
  XaiCollectionPage,
  XaiCollectionUpdate,
  XaiDocumentPage,
  XaiFile,
  XaiListOptions,
  XaiUploadInput,
} from './xai.types.js';

const DEFAULT_PAGE_SIZE = 100;

/** The defaults of every xAI call, on the files host (XaiModule's HttpModule). */
export function xaiHttpTarget(config: AppConfig): UpstreamTarget {
  return {
    baseURL: config.xai.apiBaseUrl,
    timeoutMs: config.xai.timeoutMs,
    headers: { Authorization: `Bearer ${config.xai.apiKey}` },
  };
}
/** Answers after which xAI certainly created nothing, so a create may be sent again at once. */
const NOT_CREATED = new Set([429, 503]);

/**
 * The hub's only door to xAI. Files live on the API host under the API key;
 * collections and memberships on the management host under the management key,
 * so the client holds two HTTP instances and never mixes the keys.
 *
 * Every call retries transient failures in-call (3 attempts, `Retry-After`
 * honoured, capped at 60 s by `parseRetryAfter`); what still fails reaches the
 * queue's retry policy as a typed upstream error.
 */
@Injectable()
export class XaiClient {
  private readonly logger = new Logger(XaiClient.name);
  private readonly filesHttp: AxiosInstance;
  private readonly managementHttp: AxiosInstance;
  private readonly retry: RetryOptions;

  /** `http`: XaiModule's HttpService, files host (required by Nest); absent only without Nest. */
  constructor(config: AppConfig, metrics: HubMetrics, http?: HttpService) {
    this.filesHttp = upstreamAxios(http, xaiHttpTarget(config), { system: 'xai', metrics });
    // Same defaults, the other host and the other key (replacing the files key).
    this.managementHttp = upstreamSibling(
      this.filesHttp,
      {
        baseURL: config.xai.managementBaseUrl,
        headers: { Authorization: `Bearer ${config.xai.managementKey}` },
      },
      { system: 'xai', metrics },
    );
    this.retry = {
      attempts: 3,
      baseMs: 250,
      maxMs: 4_000,
      onRetry: (err, attempt, delayMs) =>
        this.logger.warn(
          `xai call failed (attempt ${attempt}), retrying in ${delayMs} ms: ${(err as Error).message}`,
        ),
    };
  }

  // --- Files (api.x.ai, API key) ----------------------------------------------------

  /**
   * Uploads one file as multipart part `file`. Refuses oversized files before any
   * byte leaves the hub: xAI would answer 413 after the whole body was sent.
   */
  async uploadFile(file: XaiUploadInput): Promise<XaiFile> {
    if (file.data.length > XAI_MAX_FILE_BYTES) {
      throw new ValidationError(
        `file ${file.filename} is ${formatBytes(file.data.length)}, above the xAI limit of ${formatBytes(XAI_MAX_FILE_BYTES)}`,
      );
    }
    // A fresh form per attempt: a consumed body stream must not be re-sent empty.
    const buildForm = (): FormData => {
      const form = new FormData();
      if (file.purpose) form.append('purpose', file.purpose);
      const bytes = new Uint8Array(file.data.buffer, file.data.byteOffset, file.data.byteLength);
      form.append('file', new Blob([bytes], { type: file.mimeType }), file.filename);
      return form;
    };
    return this.call(
      async () => (await this.filesHttp.post<XaiFile>('/v1/files', buildForm())).data,
    );
  }

  /** @throws UpstreamNotFoundError when the file does not exist (any more). */
  async getFile(fileId: string): Promise<XaiFile> {
    return this.call(
      async () => (await this.filesHttp.get<XaiFile>(`/v1/files/${enc(fileId)}`)).data,
    );
  }

  /** @throws UpstreamNotFoundError when the file does not exist (any more). */
  async deleteFile(fileId: string): Promise<void> {
    await this.call(() => this.filesHttp.delete(`/v1/files/${enc(fileId)}`));
  }

  // --- Collections (management-api.x.ai, management key) ----------------------------

  /**
   * Retried in-call only after an answer that certainly created nothing (429, 503): a
   * create whose answer was lost (timeout, dropped connection, 500) may have made the
   * collection, and only the caller can look for it (by its description) first.
   */
  async createCollection(input: XaiCollectionInput): Promise<XaiCollection> {
    const body = collectionBody(input);
    const send = async () =>
      (await this.managementHttp.post<XaiCollection>('/v1/collections', body)).data;
    for (let attempt = 1; ; attempt++) {
      try {
        return await send();
      } catch (err) {
        const refused = err instanceof UpstreamError && NOT_CREATED.has(err.status ?? 0);
        if (!refused || attempt >= this.retry.attempts) throw err;
        const delay = backoffDelay(attempt, err, this.retry);
        this.retry.onRetry?.(err, attempt, delay);
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  /** @throws UpstreamNotFoundError when the collection is gone (deleted on the xAI side). */
  async getCollection(collectionId: string): Promise<XaiCollection> {
    return this.call(
      async () =>
        (await this.managementHttp.get<XaiCollection>(`/v1/collections/${enc(collectionId)}`)).data,
    );
  }

  /** Changes only the given name, description and field definitions. @throws UpstreamNotFoundError */
  async updateCollection(
    collectionId: string,
    update: XaiCollectionUpdate,
  ): Promise<XaiCollection> {
    const body: Record<string, unknown> = {};
    if (update.name !== undefined) body.collection_name = update.name;
    if (update.description !== undefined) body.collection_description = update.description;
    if (update.fieldDefinitionUpdates !== undefined)
      body.field_definition_updates = update.fieldDefinitionUpdates;
    return this.call(
      async () =>
        (await this.managementHttp.put<XaiCollection>(`/v1/collections/${enc(collectionId)}`, body))
          .data,
    );
  }

  /** Deletes the collection (not its files). @throws UpstreamNotFoundError when already gone. */
  async deleteCollection(collectionId: string): Promise<void> {
    await this.call(() => this.managementHttp.delete(`/v1/collections/${enc(collectionId)}`));
  }

  /** Every collection of the team, fetched page by page as the caller iterates. */
  listCollections(options: XaiListOptions = {}): AsyncIterable<XaiCollection> {
    return this.paginate<XaiCollectionPage, XaiCollection>('/v1/collections', options, (page) => ({
      items: page.collections ?? [],
      next: page.pagination_token,
    }));
  }

  // --- Membership ----------------------------------------------------------------------

  /**
   * Adds an uploaded file to a collection. Idempotent: a file that is already a
   * member (409) counts as added, so a retried or repeated sync is harmless; the
   * answer says which (false: it was a member already, maybe without these fields).
   * @throws UpstreamNotFoundError when the collection or the file does not exist.
   */
  async addDocument(
    collectionId: string,
    fileId: string,
    fields?: Record<string, string>,
  ): Promise<boolean> {
    const path = documentPath(collectionId, fileId);
    try {
      await this.call(() => this.managementHttp.post(path, fields ? { fields } : {}));
      return true;
    } catch (err) {
      if (err instanceof UpstreamConflictError) return false;
      throw err;
    }
  }

  /**
   * Removes a file from a collection; the file itself stays. Idempotent: 404 (not a
   * member, or the collection is gone) means the membership is already gone.
   */
  async removeDocument(collectionId: string, fileId: string): Promise<void> {
    try {
      await this.call(() => this.managementHttp.delete(documentPath(collectionId, fileId)));
    } catch (err) {
      if (err instanceof UpstreamNotFoundError) return;
      throw err;
    }
  }

  /** One membership with its processing status. @throws UpstreamNotFoundError when not a member. */
  async getDocument(collectionId: string, fileId: string): Promise<XaiCollectionDocument> {
    return this.call(
      async () =>
        (await this.managementHttp.get<XaiCollectionDocument>(documentPath(collectionId, fileId)))
          .data,
    );
  }

  /** Every document of a collection, page by page. @throws UpstreamNotFoundError when the collection is gone. */
  listDocuments(
    collectionId: string,
    options: XaiListOptions = {},
  ): AsyncIterable<XaiCollectionDocument> {
    return this.paginate<XaiDocumentPage, XaiCollectionDocument>(
      `/v1/collections/${enc(collectionId)}/documents`,
      options,
      (page) => ({ items: page.documents ?? [], next: page.pagination_token }),
    );
  }

  // --- internals -----------------------------------------------------------------------

  private call<T>(fn: () => Promise<T>): Promise<T> {
    return withRetry(fn, this.retry);
  }

  private paginate<P, T>(
    path: string,
    options: XaiListOptions,
    read: (page: P) => { items: T[]; next?: string | null },
  ): AsyncIterable<T> {
    const limit = options.pageSize ?? DEFAULT_PAGE_SIZE;
    const http = this.managementHttp;
    const call = <R>(fn: () => Promise<R>) => this.call(fn);
    return {
      async *[Symbol.asyncIterator]() {
        const seen = new Set<string>();
        let token: string | undefined;
        for (;;) {
          const params: Record<string, string | number> = { limit };
          if (token) params.pagination_token = token;
          const data = await call(async () => (await http.get<P>(path, { params })).data);
          const { items, next } = read(data);
          yield* items;
          if (!next) return;
          // A token seen before would loop forever; an upstream bug must not hang a worker.
          if (seen.has(next))
            throw new Error(`xai returned pagination_token ${next} twice for ${path}`);
          seen.add(next);
          token = next;
        }
      },
    };
  }
}

function enc(id: string): string {
  return encodeURIComponent(id);
}

function documentPath(collectionId: string, fileId: string): string {
  return `/v1/collections/${enc(collectionId)}/documents/${enc(fileId)}`;
}

function collectionBody(input: XaiCollectionInput): Record<string, unknown> {
  const body: Record<string, unknown> = { collection_name: input.name };
  if (input.description !== undefined) body.collection_description = input.description;
  if (input.fieldDefinitions !== undefined) body.field_definitions = input.fieldDefinitions;
  return body;
}
