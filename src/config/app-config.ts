import { parseWebhookBindings } from './webhook-bindings.js';
import { type AdvowarePaths, advowarePathsFromEnv } from './advoware-paths.js';
import { EnvironmentVariables, validateEnv } from './env.schema.js';

export type AppRole = 'all' | 'api' | 'worker';
/** Raw environment variables, as in `process.env` or an env file. */
export type EnvSource = Readonly<Record<string, string | undefined>>;

/**
 * Kept beside, not inside, each config: a field would show in every dump of the
 * config, and the raw environment holds every secret under its own name.
 */
const sources = new WeakMap<AppConfig, EnvSource>();

const list = (value: string | undefined): string[] =>
  (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);

/** Secrets by webhook id, and the routes each bound id may call (webhook-bindings.ts). */
function parseWebhookSecrets(value: string | undefined): {
  secrets: Map<string, string>;
  routes: Map<string, ReadonlySet<string>>;
} {
  const parsed = parseWebhookBindings(value);
  const secrets = new Map<string, string>();
  const routes = new Map<string, ReadonlySet<string>>();
  for (const b of parsed.ok ? parsed.bindings : []) {
    secrets.set(b.webhookId, b.secret);
    if (b.routes) routes.set(b.webhookId, b.routes);
  }
  return { secrets, routes };
}

/**
 * The typed configuration, built once from the validated environment. Injected by
 * class; nothing else in the hub reads `process.env`.
 */
export class AppConfig {
  readonly env: string;
  readonly port: number;
  readonly role: AppRole;
  readonly log: { format: 'json' | 'pretty'; level: string };
  readonly http: {
    swaggerEnabled: boolean;
    queueDashboardEnabled: boolean;
    queueDashboardReadOnly: boolean;
    metricsPort: number;
    metricsHost: string;
  };
  readonly shutdownDrainMs: number;
  readonly opsApiKey: string;
  readonly redis: { host: string; port: number; password?: string; db: number; cacheDb: number };
  readonly queue: {
    prefix: string;
    concurrency: number;
    attempts: number;
    backoffBaseMs: number;
    backoffMaxMs: number;
    debounceMs: number;
    dedupeTtlSeconds: number;
  };
  readonly lock: { ttlMs: number };
  /**
   * Cut-over (docs/MIGRATION.md). In shadow mode queues, locks and sync state live under
   * `<QUEUE_PREFIX>-shadow`, so a shadow run's bookkeeping of writes it never made cannot
   * make the first live run think they happened; the shadow log keeps the plain prefix.
   */
  readonly sync: { mode: 'live' | 'shadow'; shadowLogKey: string; shadowLogMaxEntries: number };
  /** `routes`: webhook id → routes it may call; an id missing there is unbound (not in production). */
  readonly webhook: { secrets: Map<string, string>; routes: Map<string, ReadonlySet<string>> };
  /** ALLOW_UNSIGNED_WEBHOOKS: production starts without webhook secrets only with this (loudly). */
  readonly allowUnsignedWebhooks: boolean;
  readonly espocrm: {
    baseUrl: string;
    apiKey: string;
    timeoutMs: number;
    metadataTtlSeconds: number;
  };
  readonly advoware: {
    baseUrl: string;
    authUrl: string;
    apiKey: string;
    appId: string;
    kanzlei: string;
    database: string;
    user: string;
    password: string;
    role: number;
    product: number;
    timeoutMs: number;
    tokenRefreshMarginSeconds: number;
    /** Every resource path (advoware.paths.ts), defaults overridden by ADVOWARE_PATH_*. */
    paths: AdvowarePaths;
  };
  readonly proxy: {
    apiKeys: string[];
    allowedPrefixes: string[];
    rateLimitPerMinute: number;
    timeoutMs: number;
    maxResponseBytes: number;
  };
  readonly xai: {
    apiBaseUrl: string;
    managementBaseUrl: string;
    apiKey: string;
    managementKey: string;
    timeoutMs: number;
    collectionEntityTypes: string[];
    /** Bounds of the scan for a deleted document whose record is gone. */
    deleteScan: { maxCollections: number; maxDocuments: number };
    /** TTL of a document's learned owners (vmh/documents/document-links-index.ts); 0: not learned. */
    documentLinksTtlSeconds: number;
  };
  readonly google: {
    apiRootUrl: string;
    tokenUrl: string;
    serviceAccountEmail?: string;
    privateKey?: string;
    rateLimitPerMinute: number;
    /** Google's per-user quota window (a minute); the limiter learns the quota per window. */
    quotaWindowMs: number;
    timeoutMs: number;
    retryBaseMs: number;
  };
  readonly vmh: { beteiligteSyncCron: string; resyncCleanAfterHours: number };
  readonly calendar: {
    enabled: boolean;
    cron: string;
    kuerzel: string[];
    advowareWriteAllowed: boolean;
    /** The cron's `full_content`; false sends Google only "Termin" and the times. */
    fullContent: boolean;
    windowDaysBack: number;
    windowDaysAhead: number;
    employeeEmailDomain?: string;
    /** Taking over the old hub's calendar and events (calendar-adoption.ts). */
    adopt: { summaryPattern: string; refProperties: string[]; idPattern?: RegExp };
  };
  /** Every configured secret value, so the logger can mask them wherever they appear. */
  readonly secrets: string[];

  constructor(e: EnvironmentVariables) {
    this.env = e.NODE_ENV;
    this.port = e.PORT;
    this.role = e.APP_ROLE;
    this.log = {
      format: e.LOG_FORMAT ?? (e.NODE_ENV === 'production' ? 'json' : 'pretty'),
      level: e.LOG_LEVEL,
    };
    this.http = {
      // Off in production unless asked for: both describe or show the hub's inside.
      swaggerEnabled: e.SWAGGER_ENABLED ?? e.NODE_ENV !== 'production',
      queueDashboardEnabled: e.QUEUE_DASHBOARD_ENABLED ?? e.NODE_ENV !== 'production',
      queueDashboardReadOnly: e.QUEUE_DASHBOARD_READ_ONLY ?? e.NODE_ENV === 'production',
      metricsPort: e.METRICS_PORT,
      metricsHost: e.METRICS_HOST,
    };
    this.shutdownDrainMs = e.SHUTDOWN_DRAIN_TIMEOUT_SECONDS * 1000;
    this.opsApiKey = e.OPS_API_KEY;
    this.redis = {
      host: e.REDIS_HOST,
      port: e.REDIS_PORT,
      password: e.REDIS_PASSWORD,
      db: e.REDIS_DB,
      cacheDb: e.REDIS_DB_ADVOWARE_CACHE,
    };
    this.queue = {
      prefix: e.SYNC_MODE === 'shadow' ? `${e.QUEUE_PREFIX}-shadow` : e.QUEUE_PREFIX,
      concurrency: e.WORKER_CONCURRENCY,
      attempts: e.JOB_ATTEMPTS,
      backoffBaseMs: e.JOB_BACKOFF_BASE_MS,
      backoffMaxMs: e.JOB_BACKOFF_MAX_MS,
      debounceMs: e.WEBHOOK_DEBOUNCE_MS,
      dedupeTtlSeconds: e.WEBHOOK_DEDUPE_TTL_SECONDS,
    };
    this.lock = { ttlMs: e.LOCK_TTL_MS };
    this.sync = {
      mode: e.SYNC_MODE,
      shadowLogKey: `${e.QUEUE_PREFIX}:shadow:writes`,
      shadowLogMaxEntries: e.SHADOW_LOG_MAX_ENTRIES,
    };
    this.webhook = parseWebhookSecrets(e.ESPOCRM_WEBHOOK_SECRETS);
    this.allowUnsignedWebhooks = e.ALLOW_UNSIGNED_WEBHOOKS;
    this.espocrm = {
      baseUrl: e.ESPOCRM_API_BASE_URL.replace(/\/+$/, ''),
      apiKey: e.ESPOCRM_API_KEY,
      timeoutMs: e.ESPOCRM_API_TIMEOUT_SECONDS * 1000,
      metadataTtlSeconds: e.ESPOCRM_METADATA_TTL_SECONDS,
    };
    this.advoware = {
      baseUrl: e.ADVOWARE_API_BASE_URL.replace(/\/+$/, ''),
      authUrl: e.ADVOWARE_AUTH_URL,
      apiKey: e.ADVOWARE_API_KEY,
      appId: e.ADVOWARE_APP_ID,
      kanzlei: e.ADVOWARE_KANZLEI,
      database: e.ADVOWARE_DATABASE,
      user: e.ADVOWARE_USER,
      password: e.ADVOWARE_PASSWORD,
      role: e.ADVOWARE_ROLE,
      product: e.ADVOWARE_PRODUCT,
      timeoutMs: e.ADVOWARE_API_TIMEOUT_SECONDS * 1000,
      tokenRefreshMarginSeconds: e.ADVOWARE_TOKEN_REFRESH_MARGIN_SECONDS,
      paths: advowarePathsFromEnv({
        ADVOWARE_PATH_BETEILIGTE: e.ADVOWARE_PATH_BETEILIGTE,
        ADVOWARE_PATH_KOMMUNIKATIONEN: e.ADVOWARE_PATH_KOMMUNIKATIONEN,
        ADVOWARE_PATH_ADRESSEN: e.ADVOWARE_PATH_ADRESSEN,
        ADVOWARE_PATH_BANKVERBINDUNGEN: e.ADVOWARE_PATH_BANKVERBINDUNGEN,
        ADVOWARE_PATH_EMPLOYEES: e.ADVOWARE_PATH_EMPLOYEES,
        ADVOWARE_PATH_APPOINTMENTS: e.ADVOWARE_PATH_APPOINTMENTS,
      }),
    };
    this.proxy = {
      apiKeys: list(e.PROXY_API_KEYS),
      allowedPrefixes: list(e.PROXY_ALLOWED_PREFIXES),
      rateLimitPerMinute: e.PROXY_RATE_LIMIT_PER_MINUTE,
      timeoutMs: e.PROXY_TIMEOUT_SECONDS * 1000,
      maxResponseBytes: e.PROXY_MAX_RESPONSE_BYTES,
    };
    this.xai = {
      apiBaseUrl: e.XAI_API_BASE_URL.replace(/\/+$/, ''),
      managementBaseUrl: e.XAI_MANAGEMENT_API_BASE_URL.replace(/\/+$/, ''),
      apiKey: e.XAI_API_KEY,
      managementKey: e.XAI_MANAGEMENT_KEY,
      timeoutMs: e.XAI_TIMEOUT_SECONDS * 1000,
      collectionEntityTypes: list(e.XAI_COLLECTION_ENTITY_TYPES),
      deleteScan: {
        maxCollections: e.DOCUMENT_DELETE_SCAN_MAX_COLLECTIONS,
        maxDocuments: e.DOCUMENT_DELETE_SCAN_MAX_DOCUMENTS,
      },
      documentLinksTtlSeconds: e.DOCUMENT_LINKS_CACHE_TTL_S,
    };
    this.google = {
      apiRootUrl: e.GOOGLE_API_ROOT_URL.endsWith('/')
        ? e.GOOGLE_API_ROOT_URL
        : `${e.GOOGLE_API_ROOT_URL}/`,
      tokenUrl: e.GOOGLE_TOKEN_URL,
      serviceAccountEmail: e.GOOGLE_SERVICE_ACCOUNT_EMAIL,
      // Environment files cannot hold newlines comfortably; `\n` escapes are the convention.
      privateKey: e.GOOGLE_SERVICE_ACCOUNT_PRIVATE_KEY?.replace(/\\n/g, '\n'),
      rateLimitPerMinute: e.GOOGLE_RATE_LIMIT_PER_MINUTE,
      quotaWindowMs: e.GOOGLE_QUOTA_WINDOW_SECONDS * 1000,
      timeoutMs: e.GOOGLE_API_TIMEOUT_SECONDS * 1000,
      retryBaseMs: e.GOOGLE_RETRY_BASE_MS,
    };
    this.vmh = {
      beteiligteSyncCron: e.VMH_BETEILIGTE_SYNC_CRON,
      resyncCleanAfterHours: e.VMH_BETEILIGTE_RESYNC_CLEAN_AFTER_HOURS,
    };
    this.calendar = {
      enabled: e.CALENDAR_SYNC_ENABLED,
      cron: e.CALENDAR_SYNC_CRON,
      kuerzel: list(e.CALENDAR_SYNC_KUERZEL),
      advowareWriteAllowed: e.CALENDAR_ADVOWARE_WRITE_ALLOWED,
      fullContent: e.CALENDAR_SYNC_FULL_CONTENT,
      windowDaysBack: e.CALENDAR_WINDOW_DAYS_BACK,
      windowDaysAhead: e.CALENDAR_WINDOW_DAYS_AHEAD,
      employeeEmailDomain: e.CALENDAR_EMPLOYEE_EMAIL_DOMAIN,
      adopt: {
        summaryPattern: e.CALENDAR_ADOPT_SUMMARY,
        refProperties: list(e.CALENDAR_ADOPT_REF_PROPERTIES),
        idPattern: e.CALENDAR_ADOPT_ID_PATTERN
          ? new RegExp(e.CALENDAR_ADOPT_ID_PATTERN)
          : undefined,
      },
    };
    this.secrets = [
      e.OPS_API_KEY,
      ...this.proxy.apiKeys,
      ...this.webhook.secrets.values(),
      e.REDIS_PASSWORD,
      e.ESPOCRM_API_KEY,
      e.ADVOWARE_API_KEY,
      e.ADVOWARE_API_SECRET,
      e.ADVOWARE_PASSWORD,
      e.XAI_API_KEY,
      e.XAI_MANAGEMENT_KEY,
      this.google.privateKey,
    ].filter((s): s is string => typeof s === 'string' && s.length >= 4);
  }

  static fromEnv(raw: Record<string, string | undefined>): AppConfig {
    const config = new AppConfig(validateEnv(raw));
    sources.set(config, Object.freeze({ ...raw }));
    return config;
  }

  /**
   * The environment a config was built from: the app's ConfigModule validates it once
   * more (config.module.ts), so the AppConfig injected in the app comes out of it.
   */
  static sourceOf(config: AppConfig): EnvSource {
    const source = sources.get(config);
    if (!source) throw new Error('AppConfig not built by AppConfig.fromEnv');
    return source;
  }

  get runsHttp(): boolean {
    return this.role !== 'worker';
  }

  get runsWorkers(): boolean {
    return this.role !== 'api';
  }
}
