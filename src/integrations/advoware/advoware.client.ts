import { HttpService } from '@nestjs/axios';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { AxiosInstance, AxiosResponse } from 'axios';
import type { Redis } from 'ioredis';
import { AppConfig } from '../../config/app-config.js';
import {
  UpstreamError,
  UpstreamNotFoundError,
  UpstreamUnauthorizedError,
  ValidationError,
  upstreamErrorForStatus,
} from '../../core/errors/upstream.errors.js';
import {
  type UpstreamTarget,
  upstreamAxios,
  upstreamSibling,
} from '../../core/http/upstream-http.js';
import { withRetry } from '../../core/http/with-retry.js';
import { HubMetrics } from '../../core/metrics/hub-metrics.js';
import { REDIS_CACHE } from '../../core/redis/redis.module.js';
import {
  type AdvowareTokenAnswer,
  newTokenRequest,
  tokenExpiresAt,
} from './advoware-token.signing.js';
import { AdvowareTokenStore } from './advoware-token.store.js';
import type { AdvowareRecordKind } from './advoware.fields.js';
import {
  ADVOWARE_PAGE_SIZE,
  type AdvowarePathName,
  type AdvowarePaths,
  DEFAULT_ADVOWARE_PATHS,
  advowarePath,
} from './advoware.paths.js';
import {
  canonicalRecord,
  readBeteiligte,
  readList,
  readMitarbeiter,
  readPage,
  readRecord,
  readTermin,
  usableNumber,
} from './advoware.reader.js';
import type {
  AdvowareAdresse,
  AdvowareAdresseInput,
  AdvowareBankverbindung,
  AdvowareBankverbindungInput,
  AdvowareBeteiligte,
  AdvowareBeteiligteInput,
  AdvowareKommunikation,
  AdvowareKommunikationInput,
  AdvowareMethod,
  AdvowareMitarbeiter,
  AdvowareRequestOptions,
  AdvowareResponse,
  AdvowareTermin,
  AdvowareTerminInput,
  AdvowareTerminQuery,
} from './advoware.types.js';

/** Guards a list walk against a server whose paging never ends. */
const MAX_PAGES = 200;

/**
 * The security gateway refused the hub's own credentials: a configuration problem
 * of the hub, not of the caller (the proxy answers 502 for it, not 401).
 */
export class AdvowareAuthenticationError extends UpstreamUnauthorizedError {}
/** Used when the gateway names no expiry: the documented lifetime is about 55 minutes. */
const DEFAULT_LIFETIME_MS = 55 * 60 * 1000;

/** The defaults of every Advoware call (AdvowareModule's HttpModule); auth is per call. */
export function advowareHttpTarget(config: AppConfig): UpstreamTarget {
  return { baseURL: config.advoware.baseUrl, timeoutMs: config.advoware.timeoutMs };
}

/**
 * The hub's only door to Advoware: HMAC-512 token from the security gateway,
 * shared through Redis, refreshed once on a 401; typed helpers for the resources
 * the sync uses and a generic `request` for the proxy.
 */
@Injectable()
export class AdvowareClient {
  private readonly logger = new Logger(AdvowareClient.name);
  private readonly http: AxiosInstance;
  private readonly gateway: AxiosInstance;
  private readonly tokens: AdvowareTokenStore;
  private readonly paths: AdvowarePaths;

  /** `http`: AdvowareModule's HttpService (required by Nest); absent only without Nest (doctor, tests). */
  constructor(
    private readonly config: AppConfig,
    private readonly metrics: HubMetrics,
    @Inject(REDIS_CACHE) cache: Redis,
    http?: HttpService,
  ) {
    const a = config.advoware;
    this.paths = a.paths ?? DEFAULT_ADVOWARE_PATHS;
    this.http = upstreamAxios(http, advowareHttpTarget(config), {
      system: 'advoware',
      metrics,
      reasonOf: (res) => advowareReason(res.data),
    });
    // The token POST goes to ADVOWARE_AUTH_URL (absolute), with its own metric label.
    this.gateway = upstreamSibling(
      this.http,
      { baseURL: '' },
      {
        system: 'advoware',
        metrics,
        routeOf: () => 'Token',
        reasonOf: (res) => advowareReason(res.data),
        // Authentication, not a write: shadow mode (src/core/shadow) lets it through.
        shadowExempt: true,
      },
    );
    this.tokens = new AdvowareTokenStore({
      redis: cache,
      // The queue prefix separates deployments (and test runs) sharing one Redis; instances of one deployment share it.
      key: `${config.queue.prefix}:advoware:token`,
      marginMs: a.tokenRefreshMarginSeconds * 1000,
      lockTtlMs: a.timeoutMs + 5000,
      fetch: () => this.fetchToken(),
      onRefresh: (reason) => metrics.tokenRefreshes.inc({ reason }),
      logger: this.logger,
    });
  }

  /** True while the shared Redis token cache is unreachable and a process-local token is used (readiness). */
  cacheDegraded(): boolean {
    return this.tokens.degraded();
  }

  /**
   * Any call below the API base (`path` relative to ADVOWARE_API_BASE_URL). Non-2xx
   * answers throw the hub's upstream errors carrying `status`, `reason` and `body`.
   * GET/PUT/DELETE are retried in-call on transient errors; POST never is, since a
   * lost answer may mean the record exists.
   */
  async request<T = unknown>(
    method: AdvowareMethod,
    path: string,
    opts: AdvowareRequestOptions = {},
  ): Promise<AdvowareResponse<T>> {
    assertRelativePath(path);
    const send = () => this.authorized<T>(method, path, opts);
    if (method === 'POST') return send();
    return withRetry(send, {
      attempts: opts.attempts ?? 3,
      baseMs: 200,
      maxMs: 2000,
      onRetry: (err, attempt, delay) =>
        this.logger.warn(
          `${method} ${path} attempt ${attempt} failed (${(err as Error).message}); retrying in ${delay} ms`,
        ),
    });
  }

  // --- Beteiligte -------------------------------------------------------------
  // Every answer below goes through advoware.reader.ts: documented names from any
  // casing, and a usable record number or a permanent error naming the field.

  async getBeteiligte(betNr: number | string): Promise<AdvowareBeteiligte> {
    const where = `GET ${this.paths.beteiligte}/${betNr}`;
    const { data } = await this.request<unknown>('GET', this.path('beteiligte', {}, betNr));
    if (
      data === null ||
      data === undefined ||
      data === '' ||
      (Array.isArray(data) && data.length === 0)
    ) {
      throw new UpstreamNotFoundError('advoware', `advoware has no Beteiligte ${betNr}`, {
        status: 404,
      });
    }
    return readBeteiligte(data, where);
  }

  /**
   * Our contract (assumed): the hub stores the EspoCRM id in `externeId` and filters
   * by it, so a retried create finds the party it already made. The answer is
   * filtered again here, because an API that ignores an unknown filter would otherwise
   * hand back someone else; an Advoware that drops the field finds nothing here (the
   * Beteiligte sync's create journal covers that).
   */
  async findBeteiligteByEspoId(espoId: string): Promise<AdvowareBeteiligte | undefined> {
    const list = await this.filteredBeteiligte({ externeId: espoId });
    return list.find((b) => b.externeId === espoId);
  }

  /**
   * Parties of that name (`name`, the surname or company name), newest (highest betNr)
   * first. The `name` filter is assumed; the answer is filtered again here.
   */
  async findBeteiligteByName(name: string): Promise<AdvowareBeteiligte[]> {
    const wanted = sameText(name);
    const list = await this.filteredBeteiligte({ name });
    return list.filter((b) => sameText(b.name) === wanted).sort((a, b) => b.betNr - a.betNr);
  }

  /**
   * One page of a filtered party list. Not walked: a filter Advoware honours answers a
   * few records; one it ignores would page through every party of the firm on each
   * create, which is worse than the rare miss it could prevent.
   */
  private async filteredBeteiligte(query: Record<string, string>): Promise<AdvowareBeteiligte[]> {
    const { data } = await this.request<unknown>('GET', this.path('beteiligte'), { query });
    return readPage(data).items.map((item) => readBeteiligte(item, `GET ${this.paths.beteiligte}`));
  }

  async listBeteiligte(query: Record<string, string> = {}): Promise<AdvowareBeteiligte[]> {
    const where = `GET ${this.paths.beteiligte}`;
    const items = await this.readAllPages(this.path('beteiligte'), query);
    return items.map((item) => readBeteiligte(item, where));
  }

  async createBeteiligte(data: AdvowareBeteiligteInput): Promise<AdvowareBeteiligte> {
    const answer = await this.request<unknown>('POST', this.path('beteiligte'), { body: data });
    return readBeteiligte(answer.data, `POST ${this.paths.beteiligte}`);
  }

  /** The answer, or `undefined` when Advoware answers a PUT without the record. */
  async updateBeteiligte(
    betNr: number | string,
    data: AdvowareBeteiligteInput,
  ): Promise<AdvowareBeteiligte | undefined> {
    const answer = await this.request<unknown>('PUT', this.path('beteiligte', {}, betNr), {
      body: data,
    });
    if (!isRecord(answer.data)) return undefined;
    // The number is the one just written to; an answer that leaves it out still names the party.
    const record = canonicalRecord('beteiligte', answer.data);
    if (usableNumber(record.betNr) === undefined) record.betNr = betNr;
    return readBeteiligte(record, `PUT ${this.paths.beteiligte}/${betNr}`);
  }

  // --- Kommunikationen (no delete: Advoware answers 403) --------------------

  /** The party's entries: the embedded `kommunikation` when the record has it, else the list call. */
  async kommunikationenOf(party: AdvowareBeteiligte): Promise<AdvowareKommunikation[]> {
    return party.kommunikation ?? this.listKommunikationen(party.betNr);
  }

  /** Fresh entries of a party: its record (one GET), or the list when the record does not embed them. */
  async readKommunikationen(betNr: number | string): Promise<AdvowareKommunikation[]> {
    return this.kommunikationenOf(await this.getBeteiligte(betNr));
  }

  async listKommunikationen(betNr: number | string): Promise<AdvowareKommunikation[]> {
    const { data } = await this.request<unknown>('GET', this.path('kommunikationen', { betNr }));
    return readList<AdvowareKommunikation>(
      'kommunikation',
      data,
      `GET Kommunikationen of ${betNr}`,
    );
  }

  async createKommunikation(
    betNr: number | string,
    data: AdvowareKommunikationInput,
  ): Promise<AdvowareKommunikation> {
    const answer = await this.request<unknown>('POST', this.path('kommunikationen', { betNr }), {
      body: data,
    });
    return tolerant<AdvowareKommunikation>('kommunikation', answer.data);
  }

  /** `kommKz` cannot change by PUT; Advoware keeps the old one. */
  async updateKommunikation(
    betNr: number | string,
    id: number | string,
    data: AdvowareKommunikationInput,
  ): Promise<AdvowareKommunikation> {
    const answer = await this.request<unknown>('PUT', this.path('kommunikationen', { betNr }, id), {
      body: data,
    });
    return tolerant<AdvowareKommunikation>('kommunikation', answer.data);
  }

  // --- Adressen (PUT changes only strasse, plz, ort, anschrift; no delete) ----

  /** Embedded `adressen` when a party answer carries them (assumed), else the list call. */
  async adressenOf(party: AdvowareBeteiligte): Promise<AdvowareAdresse[]> {
    return party.adressen ?? this.listAdressen(party.betNr);
  }

  async listAdressen(betNr: number | string): Promise<AdvowareAdresse[]> {
    const { data } = await this.request<unknown>('GET', this.path('adressen', { betNr }));
    return readList<AdvowareAdresse>('adresse', data, `GET Adressen of ${betNr}`);
  }

  async createAdresse(
    betNr: number | string,
    data: AdvowareAdresseInput,
  ): Promise<AdvowareAdresse> {
    const answer = await this.request<unknown>('POST', this.path('adressen', { betNr }), {
      body: data,
    });
    return tolerant<AdvowareAdresse>('adresse', answer.data);
  }

  async updateAdresse(
    betNr: number | string,
    id: number | string,
    data: AdvowareAdresseInput,
  ): Promise<AdvowareAdresse> {
    const answer = await this.request<unknown>('PUT', this.path('adressen', { betNr }, id), {
      body: data,
    });
    return tolerant<AdvowareAdresse>('adresse', answer.data);
  }

  // --- Bankverbindungen (paths our contract, assumed) -------------------------

  /** Embedded `bankverbindungen` when a party answer carries them (assumed), else the list call. */
  async bankverbindungenOf(party: AdvowareBeteiligte): Promise<AdvowareBankverbindung[]> {
    return party.bankverbindungen ?? this.listBankverbindungen(party.betNr);
  }

  async listBankverbindungen(betNr: number | string): Promise<AdvowareBankverbindung[]> {
    const { data } = await this.request<unknown>('GET', this.path('bankverbindungen', { betNr }));
    return readList<AdvowareBankverbindung>(
      'bankverbindung',
      data,
      `GET Bankverbindungen of ${betNr}`,
    );
  }

  /** The answer must carry the new account's `id` (the sync stores it in EspoCRM). */
  async createBankverbindung(
    betNr: number | string,
    data: AdvowareBankverbindungInput,
  ): Promise<AdvowareBankverbindung> {
    const answer = await this.request<unknown>('POST', this.path('bankverbindungen', { betNr }), {
      body: data,
    });
    return readRecord<AdvowareBankverbindung>(
      'bankverbindung',
      answer.data,
      `POST Bankverbindungen of ${betNr}`,
    );
  }

  async updateBankverbindung(
    betNr: number | string,
    id: number | string,
    data: AdvowareBankverbindungInput,
  ): Promise<AdvowareBankverbindung> {
    const answer = await this.request<unknown>(
      'PUT',
      this.path('bankverbindungen', { betNr }, id),
      { body: data },
    );
    return tolerant<AdvowareBankverbindung>('bankverbindung', answer.data);
  }

  /** Throws UpstreamForbiddenError when Advoware refuses (the sync turns that into a Task). */
  async deleteBankverbindung(betNr: number | string, id: number | string): Promise<void> {
    await this.request('DELETE', this.path('bankverbindungen', { betNr }, id));
  }

  // --- Mitarbeiter and Termine (resources `employees` and `appointments`) -------

  async listMitarbeiter(): Promise<AdvowareMitarbeiter[]> {
    const items = await this.readAllPages(this.path('employees'), {});
    return items.map((m) => readMitarbeiter(m, `GET ${this.paths.employees}`));
  }

  /** `kuerzel`/`von`/`bis` as the hub has always sent them (assumed for `appointments`). */
  async listTermine(q: AdvowareTerminQuery): Promise<AdvowareTermin[]> {
    const items = await this.readAllPages(this.path('appointments'), {
      kuerzel: q.kuerzel,
      von: isoDate(q.from),
      bis: isoDate(q.to),
    });
    return items.map((t) => readTermin(t, `GET ${this.paths.appointments}`));
  }

  /**
   * Lowercase `frnr`: the real API ignores `frNr` and answers the unfiltered list
   * (observed), so the answer is filtered again here as well.
   */
  async getTermin(frNr: number | string): Promise<AdvowareTermin | undefined> {
    const { data } = await this.request<unknown>('GET', this.path('appointments'), {
      query: { frnr: String(frNr) },
    });
    return readList<AdvowareTermin>('termin', data, `GET ${this.paths.appointments}`).find(
      (t) => String(t.frNr) === String(frNr),
    );
  }

  /**
   * `appointments` answers a create with `{id}` (observed in the previous system): the
   * Termin is then what was sent, under that number (`frNr`); a full record is taken as is.
   */
  async createTermin(data: AdvowareTerminInput): Promise<AdvowareTermin> {
    const answer = await this.request<unknown>('POST', this.path('appointments'), { body: data });
    const created = readTermin(answer.data, `POST ${this.paths.appointments}`);
    return { ...data, ...created } as AdvowareTermin;
  }

  /** PUT/DELETE `appointments/{frNr}` (observed in the previous system). */
  async updateTermin(frNr: number | string, data: AdvowareTerminInput): Promise<AdvowareTermin> {
    const answer = await this.request<unknown>('PUT', this.path('appointments', {}, frNr), {
      body: data,
    });
    return tolerant<AdvowareTermin>('termin', answer.data);
  }

  async deleteTermin(frNr: number | string): Promise<void> {
    await this.request('DELETE', this.path('appointments', {}, frNr));
  }

  /** The configured request path of a resource (advoware.paths.ts). */
  path(
    name: AdvowarePathName,
    params: { betNr?: number | string } = {},
    ...segments: Array<number | string>
  ): string {
    return advowarePath(this.paths, name, params, ...segments);
  }

  /**
   * Every item of a list, page by page: `{data, total}` is followed with `limit`/`offset`
   * until `total`; a bare array is one page unless it is exactly `limit` long, and a
   * server that ignores `offset` (the same first item again) ends the walk.
   */
  private async readAllPages(path: string, query: Record<string, string>): Promise<unknown[]> {
    const items: unknown[] = [];
    let offset = 0;
    let previousFirst: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const { data } = await this.request<unknown>('GET', path, {
        query: { ...query, limit: String(ADVOWARE_PAGE_SIZE), offset: String(offset) },
      });
      const got = readPage(data);
      if (got.total !== undefined) {
        items.push(...got.items);
        offset += got.items.length;
        if (got.items.length === 0 || offset >= got.total) return items;
        continue;
      }
      const first = JSON.stringify(got.items[0] ?? null);
      if (page > 0 && first === previousFirst) return items;
      items.push(...got.items);
      if (got.items.length !== ADVOWARE_PAGE_SIZE) return items;
      previousFirst = first;
      offset += got.items.length;
    }
    this.logger.warn(`GET ${path}: stopped after ${MAX_PAGES} pages (${items.length} items)`);
    return items;
  }

  // --- internals ----------------------------------------------------------------

  /** One call with the cached token; on a 401 one refresh and one retry. */
  private async authorized<T>(
    method: AdvowareMethod,
    path: string,
    opts: AdvowareRequestOptions,
  ): Promise<AdvowareResponse<T>> {
    const token = await this.tokens.get();
    try {
      return await this.send<T>(method, path, opts, token);
    } catch (err) {
      if (!(err instanceof UpstreamUnauthorizedError)) throw err;
      this.logger.warn(`Advoware answered 401 on ${method} ${path}; refreshing the token once`);
      await this.tokens.invalidate(token);
      let fresh = await this.tokens.get('unauthorized');
      // A refresh that was already under way may have handed back the token that just failed.
      if (fresh === token) fresh = await this.tokens.get('unauthorized');
      return this.send<T>(method, path, opts, fresh);
    }
  }

  private async send<T>(
    method: AdvowareMethod,
    path: string,
    opts: AdvowareRequestOptions,
    token: string,
  ): Promise<AdvowareResponse<T>> {
    let res: AxiosResponse<T>;
    try {
      res = await this.http.request<T>({
        method,
        url: path,
        params: toSearchParams(opts.query),
        // Serialised here so that any JSON value (a string, a number) goes out as JSON, not as form data.
        data: opts.body === undefined ? undefined : JSON.stringify(opts.body),
        responseType: opts.responseType ?? 'json',
        timeout: opts.timeoutMs,
        allowAbsoluteUrls: false,
        ...(opts.maxResponseBytes === undefined ? {} : { maxContentLength: opts.maxResponseBytes }),
        ...(opts.metricRoute === undefined ? {} : { metricRoute: opts.metricRoute }),
        headers: {
          Authorization: `Bearer ${token}`,
          Accept: 'application/json, */*',
          ...(opts.body === undefined ? {} : { 'Content-Type': 'application/json; charset=utf-8' }),
        },
      });
    } catch (err) {
      throw decodeErrorBody(err);
    }
    return { status: res.status, headers: flattenHeaders(res.headers), data: res.data };
  }

  private async fetchToken(): Promise<{ token: string; expiresAt: number }> {
    const a = this.config.advoware;
    const body = newTokenRequest({
      appId: a.appId,
      kanzlei: a.kanzlei,
      database: a.database,
      user: a.user,
      password: a.password,
      role: a.role,
      product: a.product,
      apiKey: a.apiKey,
    });
    let res: AxiosResponse<AdvowareTokenAnswer>;
    try {
      res = await this.gateway.post<AdvowareTokenAnswer>(a.authUrl, body);
    } catch (err) {
      if (err instanceof UpstreamError && !err.transient) {
        throw new AdvowareAuthenticationError(
          'advoware',
          `Advoware security gateway refused the token request (${err.status}${err.reason ? `: ${err.reason}` : ''}); ` +
            'check ADVOWARE_API_KEY, ADVOWARE_APP_ID, ADVOWARE_KANZLEI, ADVOWARE_DATABASE, ADVOWARE_USER and ADVOWARE_PASSWORD',
          { status: err.status, reason: err.reason, body: err.body, method: 'POST', path: 'Token' },
        );
      }
      throw err;
    }
    const receivedAt = Date.now();
    const token = res.data?.access_token;
    if (typeof token !== 'string' || token === '') {
      throw new AdvowareAuthenticationError(
        'advoware',
        'Advoware security gateway answered without access_token',
        {
          status: res.status,
          body: res.data,
        },
      );
    }
    let expiresAt = tokenExpiresAt(res.data, receivedAt);
    if (expiresAt === undefined) {
      this.logger.warn('Advoware token answer names no expiry; assuming 55 minutes');
      expiresAt = receivedAt + DEFAULT_LIFETIME_MS;
    }
    return { token, expiresAt };
  }
}

/** Defence in depth under the proxy's own validation: a path can never redirect the call to another host. */
function assertRelativePath(path: string): void {
  if (/^[a-z][a-z0-9+.-]*:/i.test(path) || path.startsWith('//') || path.includes('\\')) {
    throw new ValidationError(
      `Advoware path must be relative to the API base: ${path.slice(0, 100)}`,
    );
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return (
    typeof value === 'object' && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value)
  );
}

/** A write's answer, names made documented; nothing required of it (the syncs read again). */
function tolerant<T>(kind: AdvowareRecordKind, data: unknown): T {
  return (isRecord(data) ? canonicalRecord(kind, data) : data) as T;
}

function sameText(value: unknown): string {
  return typeof value === 'string' ? value.trim().toLowerCase() : '';
}

function isoDate(value: string | Date): string {
  return typeof value === 'string' ? value.slice(0, 10) : value.toISOString().slice(0, 10);
}

function toSearchParams(query: AdvowareRequestOptions['query']): URLSearchParams | undefined {
  if (!query) return undefined;
  if (query instanceof URLSearchParams) return query;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    for (const v of Array.isArray(value) ? value : [value]) params.append(key, v);
  }
  return params;
}

function flattenHeaders(headers: AxiosResponse['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  const plain = typeof headers?.toJSON === 'function' ? headers.toJSON() : headers;
  for (const [key, value] of Object.entries(plain ?? {})) {
    if (value === undefined || value === null) continue;
    out[key.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
  }
  return out;
}

/** With `responseType: 'arraybuffer'` an error body arrives as bytes; callers want it readable. */
function decodeErrorBody(err: unknown): unknown {
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

/**
 * Advoware is an ASP.NET service: errors carry `Message` (Web API's default), the
 * gateway OAuth-style `error`/`error_description`. Unverified; anything else falls
 * back to the generic reader.
 */
function advowareReason(data: unknown): string | undefined {
  if (!data || typeof data !== 'object' || Buffer.isBuffer(data)) return undefined;
  const d = data as Record<string, unknown>;
  const text = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
  const error = text(d.error);
  const description = text(d.error_description);
  if (error && description) return `${error}: ${description}`;
  return text(d.Message) ?? text(d.message) ?? error ?? description;
}
