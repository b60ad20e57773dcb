import { HttpService } from '@nestjs/axios';
import { Injectable, Logger } from '@nestjs/common';
import type { AxiosInstance } from 'axios';
import { AppConfig } from '../../config/app-config.js';
import type { Readable } from 'node:stream';
import {
  TransientUpstreamError,
  UpstreamError,
  UpstreamNotFoundError,
} from '../../core/errors/upstream.errors.js';
import { type UpstreamTarget, upstreamAxios } from '../../core/http/upstream-http.js';
import { withRetry } from '../../core/http/with-retry.js';
import { HubMetrics } from '../../core/metrics/hub-metrics.js';
import {
  type AttachmentDownload,
  type AttachmentDownloadOptions,
  downloadError,
  readAttachment,
  statusReason,
} from './espocrm-attachment.reader.js';
import { espoPath, espoSearchParams } from './espocrm-query.js';
import { espoPages } from './espocrm.paging.js';
import {
  type EspoListParams,
  type EspoListResult,
  type EspoRecord,
  type EspoTask,
  type NewEspoNotification,
  type NewEspoTask,
} from './espocrm.types.js';

export {
  type AttachmentDownload,
  type AttachmentDownloadOptions,
  type AttachmentHead,
  attachmentHead,
  dispositionFilename,
} from './espocrm-attachment.reader.js';

const RETRY = { attempts: 3, baseMs: 200, maxMs: 2_000 };

/** The defaults of every EspoCRM call (EspoCrmModule's HttpModule). */
export function espoCrmHttpTarget(config: AppConfig): UpstreamTarget {
  return {
    baseURL: config.espocrm.baseUrl,
    timeoutMs: config.espocrm.timeoutMs,
    headers: { 'X-Api-Key': config.espocrm.apiKey, Accept: 'application/json' },
  };
}

/** Task statuses that close a Task; anything else still asks a person to act. */
const CLOSED_TASK_STATUSES = ['Completed', 'Canceled'];

/** Answers where EspoCRM certainly did not apply a request, so resending a create is safe. */
const NOT_APPLIED_STATUSES = new Set([429, 503]);

interface CachedMetadata {
  expiresAt: number;
  value: Promise<unknown>;
}

/**
 * The hub's only door to EspoCRM's REST API (v1), authenticated with `X-Api-Key`.
 * Every failure arrives as one of the hub's upstream error classes (reason from the
 * `X-Status-Reason` header); transient ones are retried a few times in-call.
 */
@Injectable()
export class EspoCrmClient {
  private readonly logger = new Logger(EspoCrmClient.name);
  private readonly http: AxiosInstance;
  private readonly metadataCache = new Map<string, CachedMetadata>();

  /** `http`: EspoCrmModule's HttpService (required by Nest); absent only without Nest (doctor, tests). */
  constructor(
    private readonly config: AppConfig,
    metrics: HubMetrics,
    http?: HttpService,
  ) {
    this.http = upstreamAxios(http, espoCrmHttpTarget(config), {
      system: 'espocrm',
      metrics,
      reasonOf: statusReason,
    });
  }

  async get<T extends EspoRecord = EspoRecord>(entity: string, id: string): Promise<T> {
    return this.retrying(async () => (await this.http.get<T>(espoPath(entity, id))).data);
  }

  /** Not resent after a timeout or a dropped answer: EspoCRM may have created it already. */
  async create<T extends EspoRecord = EspoRecord>(
    entity: string,
    data: Record<string, unknown>,
  ): Promise<T> {
    return this.retryingCreate(async () => (await this.http.post<T>(espoPath(entity), data)).data);
  }

  /** PUT: EspoCRM changes only the fields sent and answers the whole record. */
  async update<T extends EspoRecord = EspoRecord>(
    entity: string,
    id: string,
    data: Record<string, unknown>,
  ): Promise<T> {
    return this.retrying(async () => (await this.http.put<T>(espoPath(entity, id), data)).data);
  }

  /** A 404 after an earlier attempt of the same call failed means that attempt deleted it. */
  async delete(entity: string, id: string): Promise<void> {
    let attempted = false;
    await this.retrying(async () => {
      try {
        await this.http.delete(espoPath(entity, id));
      } catch (err) {
        if (attempted && err instanceof UpstreamNotFoundError) return;
        attempted = true;
        throw err;
      }
    });
  }

  async list<T extends EspoRecord = EspoRecord>(
    entity: string,
    params?: EspoListParams,
  ): Promise<EspoListResult<T>> {
    const query = espoSearchParams(params);
    return this.retrying(
      async () =>
        (await this.http.get<EspoListResult<T>>(espoPath(entity), { params: query })).data,
    );
  }

  /**
   * Every matching record, page by page (at most 200 per request). Without an explicit
   * order it sorts by `createdAt` ascending, so records created meanwhile land on a later
   * page instead of shifting the ones not yet read.
   */
  listAll<T extends EspoRecord = EspoRecord>(
    entity: string,
    params?: EspoListParams,
  ): AsyncIterable<T> {
    return espoPages<T>((p) => this.list<T>(entity, p), params);
  }

  async listRelated<T extends EspoRecord = EspoRecord>(
    entity: string,
    id: string,
    link: string,
    params?: EspoListParams,
  ): Promise<EspoListResult<T>> {
    const query = espoSearchParams(params);
    return this.retrying(
      async () =>
        (await this.http.get<EspoListResult<T>>(espoPath(entity, id, link), { params: query }))
          .data,
    );
  }

  listAllRelated<T extends EspoRecord = EspoRecord>(
    entity: string,
    id: string,
    link: string,
    params?: EspoListParams,
  ): AsyncIterable<T> {
    return espoPages<T>((p) => this.listRelated<T>(entity, id, link, p), params);
  }

  /** Linking an already linked record is a no-op in EspoCRM, so this is safe to resend. */
  async link(
    entity: string,
    id: string,
    link: string,
    foreignIds: string | string[],
  ): Promise<void> {
    const body = linkBody(foreignIds);
    if (!body) return;
    await this.retrying(() => this.http.post(espoPath(entity, id, link), body));
  }

  async unlink(
    entity: string,
    id: string,
    link: string,
    foreignIds: string | string[],
  ): Promise<void> {
    const body = linkBody(foreignIds);
    if (!body) return;
    await this.retrying(() => this.http.delete(espoPath(entity, id, link), { data: body }));
  }

  /**
   * An attachment's file (`GET Attachment/file/{id}`) with the type and size its
   * headers announce, so no separate read of the Attachment record is needed.
   * A refusal (`refuse` on the headers, or `maxBytes` passed by Content-Length or by
   * the bytes received) ends the transfer there and throws a `ValidationError`.
   */
  async downloadAttachment(
    attachmentId: string,
    opts: AttachmentDownloadOptions = {},
  ): Promise<AttachmentDownload> {
    const path = espoPath('Attachment', 'file', attachmentId);
    return this.retrying(async () => {
      // Status handled here: an error body arrives as a stream the shared mapping cannot read.
      const res = await this.http.get<Readable>(path, {
        responseType: 'stream',
        headers: { Accept: '*/*' },
        validateStatus: () => true,
      });
      if (res.status < 200 || res.status >= 300) throw await downloadError(res, path);
      return readAttachment(res, attachmentId, path, opts);
    });
  }

  async createTask(task: NewEspoTask): Promise<EspoTask> {
    return this.create<EspoTask>('Task', {
      status: 'Not Started',
      priority: 'Normal',
      ...definedOnly(task),
    });
  }

  /** The open Task (not `Completed`/`Canceled`) of that exact name on that parent, if any. */
  async findOpenTask(
    parentType: string,
    parentId: string,
    name: string,
  ): Promise<EspoTask | undefined> {
    const { list } = await this.list<EspoTask>('Task', {
      where: [
        { type: 'equals', attribute: 'parentType', value: parentType },
        { type: 'equals', attribute: 'parentId', value: parentId },
        { type: 'equals', attribute: 'name', value: name },
        { type: 'notIn', attribute: 'status', value: CLOSED_TASK_STATUSES },
      ],
      orderBy: 'createdAt',
      order: 'asc',
      maxSize: 1,
    });
    return list[0];
  }

  /** A `Message` notification shown to one user. */
  async createNotification(n: NewEspoNotification): Promise<EspoRecord> {
    return this.create('Notification', { type: 'Message', ...definedOnly(n) });
  }

  /**
   * `GET Metadata` (optionally one dot-separated `key`, e.g. `entityDefs.CDokumente`),
   * cached in memory for ESPOCRM_METADATA_TTL_SECONDS; concurrent callers share one request.
   */
  async getMetadata<T = unknown>(key?: string): Promise<T> {
    const ttlMs = this.config.espocrm.metadataTtlSeconds * 1000;
    const cacheKey = key ?? '';
    const now = Date.now();
    const hit = this.metadataCache.get(cacheKey);
    if (hit && hit.expiresAt > now) return hit.value as Promise<T>;
    const value = this.retrying(
      async () => (await this.http.get<T>('Metadata', { params: key ? { key } : {} })).data,
    );
    if (ttlMs > 0) {
      this.metadataCache.set(cacheKey, { expiresAt: now + ttlMs, value });
      value.catch(() => this.metadataCache.delete(cacheKey));
    }
    return value;
  }

  /**
   * A few in-call retries of transient errors. `mayResend` vetoes a retry for one
   * error; a `Retry-After` longer than the in-call budget is also left to the queue,
   * so a worker is not parked for a minute inside one call.
   */
  private async retrying<T>(
    fn: () => Promise<T>,
    mayResend: (err: UpstreamError) => boolean = () => true,
  ): Promise<T> {
    let stopped: unknown;
    try {
      return await withRetry(
        async () => {
          try {
            return await fn();
          } catch (err) {
            if (
              err instanceof TransientUpstreamError &&
              (!mayResend(err) || (err.retryAfterMs ?? 0) > RETRY.maxMs)
            ) {
              stopped = err;
              throw new StopRetrying();
            }
            throw err;
          }
        },
        {
          ...RETRY,
          onRetry: (err, attempt, delayMs) =>
            this.logger.warn(
              `EspoCRM call failed (attempt ${attempt}), retrying in ${delayMs} ms: ${describe(err)}`,
            ),
        },
      );
    } catch (err) {
      if (err instanceof StopRetrying) throw stopped;
      throw err;
    }
  }

  /**
   * Resends a create only when EspoCRM said it did not take it (429, 503) or the
   * connection was refused; after a timeout, a reset or a 500 the record may exist, and
   * the queue's handler (which looks for it first) must decide.
   */
  private retryingCreate<T>(fn: () => Promise<T>): Promise<T> {
    return this.retrying(fn, certainlyNotApplied);
  }
}

/** Thrown inside the retry loop to end it (classified permanent); never leaves the client. */
class StopRetrying extends Error {
  readonly transient = false;
}

function certainlyNotApplied(err: UpstreamError): boolean {
  if (err.status !== undefined) return NOT_APPLIED_STATUSES.has(err.status);
  return (err as { code?: string }).code === 'ECONNREFUSED';
}

function linkBody(foreignIds: string | string[]): { id: string } | { ids: string[] } | undefined {
  if (typeof foreignIds === 'string') return { id: foreignIds };
  if (foreignIds.length === 0) return undefined;
  return foreignIds.length === 1 ? { id: foreignIds[0] } : { ids: foreignIds };
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
