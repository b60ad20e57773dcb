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
import { createUpstreamHttp } from '../../core/http/upstream-http.js';
import { withRetry } from '../../core/http/with-retry.js';
import { HubMetrics } from '../../core/metrics/hub-metrics.js';
import { REDIS_CACHE } from '../../core/redis/redis.module.js';
import {
  type AdvowareTokenAnswer,
  newTokenRequest,
  tokenExpiresAt,
} from './advoware-token.signing.js';
import { AdvowareTokenStore } from './advoware-token.store.js';
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

const API = '/api/v1/advonet';

/**
 * The security gateway refused the hub's own credentials: a configuration problem
 * of the hub, not of the caller (the proxy answers 502 for it, not 401).
 */
export class AdvowareAuthenticationError extends UpstreamUnauthorizedError {}
/** Used when the gateway names no expiry: the documented lifetime is about 55 minutes. */
const DEFAULT_LIFETIME_MS = 55 * 60 * 1000;

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

  constructor(
    private readonly config: AppConfig,
    private readonly metrics: HubMetrics,
    @Inject(REDIS_CACHE) cache: Redis,
  ) {
    const a = config.advoware;
    this.http = createUpstreamHttp({
      system: 'advoware',
      baseURL: a.baseUrl,
      timeoutMs: a.timeoutMs,
      metrics,
      reasonOf: (res) => advowareReason(res.data),
    });
    this.gateway = createUpstreamHttp({
      system: 'advoware',
      baseURL: '',
      timeoutMs: a.timeoutMs,
      metrics,
      routeOf: () => 'Token',
      reasonOf: (res) => advowareReason(res.data),
      // Authentication, not a write: shadow mode (src/core/shadow) lets it through.
      shadowExempt: true,
    });
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

  async getBeteiligte(betnr: number | string): Promise<AdvowareBeteiligte> {
    const { data } = await this.request<AdvowareBeteiligte | AdvowareBeteiligte[]>(
      'GET',
      `${API}/Beteiligte/${enc(betnr)}`,
    );
    // Some Advoware endpoints answer a single record as a one-element list.
    const one = Array.isArray(data) ? data[0] : data;
    if (!one) {
      throw new UpstreamNotFoundError('advoware', `advoware has no Beteiligte ${betnr}`, {
        status: 404,
      });
    }
    return one;
  }

  /**
   * Our contract (unverified): the hub stores the EspoCRM id in `externeId` and
   * filters by it, so a retried create finds the party it already made. The answer
   * is filtered again here, because an API that ignores an unknown filter would
   * otherwise hand back someone else.
   */
  async findBeteiligteByEspoId(espoId: string): Promise<AdvowareBeteiligte | undefined> {
    const { data } = await this.request<AdvowareBeteiligte[]>('GET', `${API}/Beteiligte`, {
      query: { externeId: espoId },
    });
    return asList(data).find((b) => b.externeId === espoId);
  }

  async createBeteiligte(data: AdvowareBeteiligteInput): Promise<AdvowareBeteiligte> {
    return (await this.request<AdvowareBeteiligte>('POST', `${API}/Beteiligte`, { body: data }))
      .data;
  }

  async updateBeteiligte(
    betnr: number | string,
    data: AdvowareBeteiligteInput,
  ): Promise<AdvowareBeteiligte> {
    return (
      await this.request<AdvowareBeteiligte>('PUT', `${API}/Beteiligte/${enc(betnr)}`, {
        body: data,
      })
    ).data;
  }

  // --- Kommunikationen (no delete: Advoware answers 403) --------------------

  async listKommunikationen(betnr: number | string): Promise<AdvowareKommunikation[]> {
    return asList(
      (
        await this.request<AdvowareKommunikation[]>(
          'GET',
          `${API}/Beteiligte/${enc(betnr)}/Kommunikationen`,
        )
      ).data,
    );
  }

  async createKommunikation(
    betnr: number | string,
    data: AdvowareKommunikationInput,
  ): Promise<AdvowareKommunikation> {
    return (
      await this.request<AdvowareKommunikation>(
        'POST',
        `${API}/Beteiligte/${enc(betnr)}/Kommunikationen`,
        { body: data },
      )
    ).data;
  }

  /** `kommKz` cannot change by PUT; Advoware keeps the old one. */
  async updateKommunikation(
    betnr: number | string,
    id: number | string,
    data: AdvowareKommunikationInput,
  ): Promise<AdvowareKommunikation> {
    return (
      await this.request<AdvowareKommunikation>(
        'PUT',
        `${API}/Beteiligte/${enc(betnr)}/Kommunikationen/${enc(id)}`,
        {
          body: data,
        },
      )
    ).data;
  }

  // --- Adressen (PUT changes only strasse, plz, ort, anschrift; no delete) ----

  async listAdressen(betnr: number | string): Promise<AdvowareAdresse[]> {
    return asList(
      (await this.request<AdvowareAdresse[]>('GET', `${API}/Beteiligte/${enc(betnr)}/Adressen`))
        .data,
    );
  }

  async createAdresse(
    betnr: number | string,
    data: AdvowareAdresseInput,
  ): Promise<AdvowareAdresse> {
    return (
      await this.request<AdvowareAdresse>('POST', `${API}/Beteiligte/${enc(betnr)}/Adressen`, {
        body: data,
      })
    ).data;
  }

  async updateAdresse(
    betnr: number | string,
    id: number | string,
    data: AdvowareAdresseInput,
  ): Promise<AdvowareAdresse> {
    return (
      await this.request<AdvowareAdresse>(
        'PUT',
        `${API}/Beteiligte/${enc(betnr)}/Adressen/${enc(id)}`,
        { body: data },
      )
    ).data;
  }

  // --- Bankverbindungen (paths our contract, unverified) ----------------------

  async listBankverbindungen(betnr: number | string): Promise<AdvowareBankverbindung[]> {
    return asList(
      (
        await this.request<AdvowareBankverbindung[]>(
          'GET',
          `${API}/Beteiligte/${enc(betnr)}/Bankverbindungen`,
        )
      ).data,
    );
  }

  async createBankverbindung(
    betnr: number | string,
    data: AdvowareBankverbindungInput,
  ): Promise<AdvowareBankverbindung> {
    return (
      await this.request<AdvowareBankverbindung>(
        'POST',
        `${API}/Beteiligte/${enc(betnr)}/Bankverbindungen`,
        { body: data },
      )
    ).data;
  }

  async updateBankverbindung(
    betnr: number | string,
    id: number | string,
    data: AdvowareBankverbindungInput,
  ): Promise<AdvowareBankverbindung> {
    return (
      await this.request<AdvowareBankverbindung>(
        'PUT',
        `${API}/Beteiligte/${enc(betnr)}/Bankverbindungen/${enc(id)}`,
        {
          body: data,
        },
      )
    ).data;
  }

  /** Throws UpstreamForbiddenError when Advoware refuses (the sync turns that into a Task). */
  async deleteBankverbindung(betnr: number | string, id: number | string): Promise<void> {
    await this.request('DELETE', `${API}/Beteiligte/${enc(betnr)}/Bankverbindungen/${enc(id)}`);
  }

  // --- Mitarbeiter and Termine ------------------------------------------------

  async listMitarbeiter(): Promise<AdvowareMitarbeiter[]> {
    return asList((await this.request<AdvowareMitarbeiter[]>('GET', `${API}/Mitarbeiter`)).data);
  }

  async listTermine(q: AdvowareTerminQuery): Promise<AdvowareTermin[]> {
    const { data } = await this.request<AdvowareTermin[]>('GET', `${API}/Termine`, {
      query: { kuerzel: q.kuerzel, von: isoDate(q.from), bis: isoDate(q.to) },
    });
    return asList(data);
  }

  /**
   * Lowercase `frnr`: the real API ignores `frNr` and answers the unfiltered list
   * (observed), so the answer is filtered again here as well.
   */
  async getTermin(frNr: number | string): Promise<AdvowareTermin | undefined> {
    const { data } = await this.request<AdvowareTermin[]>('GET', `${API}/Termine`, {
      query: { frnr: String(frNr) },
    });
    return asList(data).find((t) => String(t.frNr) === String(frNr));
  }

  async createTermin(data: AdvowareTerminInput): Promise<AdvowareTermin> {
    return (await this.request<AdvowareTermin>('POST', `${API}/Termine`, { body: data })).data;
  }

  /** Our contract (unverified): PUT/DELETE `Termine/{frNr}`. */
  async updateTermin(frNr: number | string, data: AdvowareTerminInput): Promise<AdvowareTermin> {
    return (
      await this.request<AdvowareTermin>('PUT', `${API}/Termine/${enc(frNr)}`, { body: data })
    ).data;
  }

  async deleteTermin(frNr: number | string): Promise<void> {
    await this.request('DELETE', `${API}/Termine/${enc(frNr)}`);
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

function enc(segment: number | string): string {
  return encodeURIComponent(String(segment));
}

function asList<T>(data: T[] | T | null | undefined): T[] {
  if (Array.isArray(data)) return data;
  return data === null || data === undefined || (data as unknown) === '' ? [] : [data];
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
