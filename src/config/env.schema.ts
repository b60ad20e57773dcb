import { Transform, plainToInstance } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  Min,
  MinLength,
  Validate,
  ValidateIf,
  validateSync,
} from 'class-validator';
import { CalendarAdoptIdPatternRule } from './calendar-adoption.rule.js';
import { EspoWebhookSecretsRule } from './webhook-bindings.rule.js';
import { ADVOWARE_PARTY_PATH_PATTERN, ADVOWARE_RESOURCE_PATH_PATTERN } from './advoware-paths.js';

const toInt = ({ value }: { value: unknown }) =>
  value === undefined || value === '' ? undefined : Number(value);
const toBool = ({ value }: { value: unknown }) => {
  if (value === undefined || value === '') return undefined;
  if (value === true || value === 'true' || value === '1') return true;
  if (value === false || value === 'false' || value === '0') return false;
  return value;
};
const urlOpts = { require_tld: false, require_protocol: true, protocols: ['http', 'https'] };
const emptyToUndefined = ({ value }: { value: unknown }) => (value === '' ? undefined : value);
const pathMessage = (name: string) =>
  `ADVOWARE_PATH_${name} must be a path of plain segments below /api/v1/advonet/, without {betNr}`;
const partyPathMessage = (name: string) =>
  `ADVOWARE_PATH_${name} must be a path of plain segments below /api/v1/advonet/ containing {betNr}`;
/** Six fields, seconds first: the design's cron format. */
const CRON_6 = /^\s*\S+\s+\S+\s+\S+\s+\S+\s+\S+\s+\S+\s*$/;

/**
 * Every variable the hub reads. `.env.example` documents each one; this class is
 * the single place that says what a valid value is.
 */
export class EnvironmentVariables {
  // --- process -------------------------------------------------------------
  @IsOptional() @IsIn(['development', 'production', 'test']) NODE_ENV: string = 'development';
  @Transform(toInt) @IsInt() @Min(0) @Max(65535) PORT: number = 3000;
  @IsOptional() @IsIn(['all', 'api', 'worker']) APP_ROLE: 'all' | 'api' | 'worker' = 'all';
  @IsOptional() @IsIn(['json', 'pretty']) LOG_FORMAT?: 'json' | 'pretty';
  @IsOptional() @IsIn(['debug', 'verbose', 'log', 'warn', 'error']) LOG_LEVEL: string = 'log';
  /** Unset: on outside production, off in production (app-config.ts). */
  @IsOptional() @Transform(toBool) @IsBoolean() SWAGGER_ENABLED?: boolean;
  @IsOptional() @Transform(toBool) @IsBoolean() QUEUE_DASHBOARD_ENABLED?: boolean;
  /** bull-board without retry/remove/clean buttons; unset: on in production, off otherwise. */
  @IsOptional() @Transform(toBool) @IsBoolean() QUEUE_DASHBOARD_READ_ONLY?: boolean;
  @Transform(toInt) @IsInt() @Min(0) @Max(65535) METRICS_PORT: number = 0;
  /** Interface of METRICS_PORT (its /metrics has no key): loopback unless opened on purpose. */
  @IsString() @IsNotEmpty() METRICS_HOST: string = '127.0.0.1';
  @Transform(toInt) @IsInt() @Min(1) SHUTDOWN_DRAIN_TIMEOUT_SECONDS: number = 25;

  // --- credentials for the hub's own endpoints ------------------------------
  @IsString() @MinLength(16) OPS_API_KEY!: string;
  @IsOptional() @IsString() PROXY_API_KEYS: string = '';
  @IsOptional()
  @Validate(EspoWebhookSecretsRule)
  ESPOCRM_WEBHOOK_SECRETS?: string;
  /** Production refuses to start without webhook secrets unless this says so (production-rules.ts). */
  @Transform(toBool) @IsBoolean() ALLOW_UNSIGNED_WEBHOOKS: boolean = false;

  // --- Redis ------------------------------------------------------------------
  @IsString() @IsNotEmpty() REDIS_HOST: string = '127.0.0.1';
  @Transform(toInt) @IsInt() @Min(1) @Max(65535) REDIS_PORT: number = 6379;
  @IsOptional() @IsString() REDIS_PASSWORD?: string;
  @Transform(toInt) @IsInt() @Min(0) @Max(15) REDIS_DB: number = 0;
  @Transform(toInt) @IsInt() @Min(0) @Max(15) REDIS_DB_ADVOWARE_CACHE: number = 1;
  @IsString() @Matches(/^[A-Za-z0-9_-]+$/) QUEUE_PREFIX: string = 'hub';

  // --- cut-over (docs/MIGRATION.md) ---------------------------------------------
  /** live: writes reach the upstreams; shadow: every run as in live, each write recorded instead of sent. */
  @IsOptional() @IsIn(['live', 'shadow']) SYNC_MODE: 'live' | 'shadow' = 'live';
  /** Bound of the shadow log (a Redis stream, trimmed approximately). */
  @Transform(toInt) @IsInt() @Min(100) @Max(1_000_000) SHADOW_LOG_MAX_ENTRIES: number = 10000;

  // --- queues, locks, retries -------------------------------------------------
  @Transform(toInt) @IsInt() @Min(1) @Max(256) WORKER_CONCURRENCY: number = 8;
  @Transform(toInt) @IsInt() @Min(1) @Max(50) JOB_ATTEMPTS: number = 5;
  @Transform(toInt) @IsInt() @Min(1) JOB_BACKOFF_BASE_MS: number = 2000;
  @Transform(toInt) @IsInt() @Min(1) JOB_BACKOFF_MAX_MS: number = 300000;
  @Transform(toInt) @IsInt() @Min(1000) LOCK_TTL_MS: number = 30000;
  @Transform(toInt) @IsInt() @Min(0) WEBHOOK_DEBOUNCE_MS: number = 1000;
  @Transform(toInt) @IsInt() @Min(1) WEBHOOK_DEDUPE_TTL_SECONDS: number = 300;

  // --- EspoCRM ------------------------------------------------------------------
  @IsUrl(urlOpts) ESPOCRM_API_BASE_URL!: string;
  @IsString() @IsNotEmpty() ESPOCRM_API_KEY!: string;
  @Transform(toInt) @IsInt() @Min(1) ESPOCRM_API_TIMEOUT_SECONDS: number = 30;
  @Transform(toInt) @IsInt() @Min(0) ESPOCRM_METADATA_TTL_SECONDS: number = 300;

  // --- Advoware ---------------------------------------------------------------
  @IsUrl(urlOpts) ADVOWARE_API_BASE_URL!: string;
  @IsUrl(urlOpts) ADVOWARE_AUTH_URL: string = 'https://security.advo-net.net/api/v1/Token';
  @IsString()
  @Matches(/^[A-Za-z0-9+/]+={0,2}$/, { message: 'ADVOWARE_API_KEY must be base64' })
  ADVOWARE_API_KEY!: string;
  @IsOptional() @IsString() ADVOWARE_API_SECRET?: string;
  @IsString() @IsNotEmpty() ADVOWARE_APP_ID!: string;
  @IsString() @IsNotEmpty() ADVOWARE_KANZLEI!: string;
  @IsString() @IsNotEmpty() ADVOWARE_DATABASE!: string;
  @IsString() @IsNotEmpty() ADVOWARE_USER!: string;
  @IsString() @IsNotEmpty() ADVOWARE_PASSWORD!: string;
  @Transform(toInt) @IsInt() ADVOWARE_ROLE: number = 2;
  @Transform(toInt) @IsInt() ADVOWARE_PRODUCT: number = 64;
  @Transform(toInt) @IsInt() @Min(1) ADVOWARE_API_TIMEOUT_SECONDS: number = 30;
  @Transform(toInt) @IsInt() @Min(0) ADVOWARE_TOKEN_REFRESH_MARGIN_SECONDS: number = 300;
  /** Resource paths below /api/v1/advonet/ (advoware.paths.ts); empty = the default there. */
  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(ADVOWARE_RESOURCE_PATH_PATTERN, { message: pathMessage('BETEILIGTE') })
  ADVOWARE_PATH_BETEILIGTE?: string;
  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(ADVOWARE_PARTY_PATH_PATTERN, { message: partyPathMessage('KOMMUNIKATIONEN') })
  ADVOWARE_PATH_KOMMUNIKATIONEN?: string;
  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(ADVOWARE_PARTY_PATH_PATTERN, { message: partyPathMessage('ADRESSEN') })
  ADVOWARE_PATH_ADRESSEN?: string;
  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(ADVOWARE_PARTY_PATH_PATTERN, { message: partyPathMessage('BANKVERBINDUNGEN') })
  ADVOWARE_PATH_BANKVERBINDUNGEN?: string;
  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(ADVOWARE_RESOURCE_PATH_PATTERN, { message: pathMessage('EMPLOYEES') })
  ADVOWARE_PATH_EMPLOYEES?: string;
  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(ADVOWARE_RESOURCE_PATH_PATTERN, { message: pathMessage('APPOINTMENTS') })
  ADVOWARE_PATH_APPOINTMENTS?: string;

  // --- Advoware proxy ---------------------------------------------------------
  @IsOptional() @IsString() PROXY_ALLOWED_PREFIXES: string = '';
  @Transform(toInt) @IsInt() @Min(1) PROXY_RATE_LIMIT_PER_MINUTE: number = 600;
  @Transform(toInt) @IsInt() @Min(1) PROXY_TIMEOUT_SECONDS: number = 30;
  /** Largest Advoware answer the proxy passes on (JSON is buffered up to it, other types stream). */
  @Transform(toInt) @IsInt() @Min(1024) PROXY_MAX_RESPONSE_BYTES: number = 20 * 1024 * 1024;

  // --- xAI ----------------------------------------------------------------------
  @IsUrl(urlOpts) XAI_API_BASE_URL: string = 'https://api.x.ai';
  @IsUrl(urlOpts) XAI_MANAGEMENT_API_BASE_URL: string = 'https://management-api.x.ai';
  @IsString() @IsNotEmpty() XAI_API_KEY!: string;
  @IsString() @IsNotEmpty() XAI_MANAGEMENT_KEY!: string;
  @Transform(toInt) @IsInt() @Min(1) XAI_TIMEOUT_SECONDS: number = 60;
  @IsString() XAI_COLLECTION_ENTITY_TYPES: string = 'CBeteiligte,Account,CVmhRaeumungsklage';
  /** A deleted document whose record is gone is looked for in at most this many collections … */
  @Transform(toInt) @IsInt() @Min(1) DOCUMENT_DELETE_SCAN_MAX_COLLECTIONS: number = 500;
  /** … and at most this many memberships in all (issue 16: an unknown id costs bounded work). */
  @Transform(toInt) @IsInt() @Min(1) DOCUMENT_DELETE_SCAN_MAX_DOCUMENTS: number = 50000;
  /** How long a document's owners learned from its related lists are trusted (document-links-index.ts); 0: never. */
  @Transform(toInt)
  @IsInt({ message: 'DOCUMENT_LINKS_CACHE_TTL_S must be a whole number of seconds (0 disables)' })
  @Min(0, { message: 'DOCUMENT_LINKS_CACHE_TTL_S must be 0 (off) or more seconds' })
  @Max(30 * 86400, { message: 'DOCUMENT_LINKS_CACHE_TTL_S must be at most 2592000 (30 days)' })
  DOCUMENT_LINKS_CACHE_TTL_S: number = 86400;

  // --- Google Calendar ------------------------------------------------------------
  @IsUrl(urlOpts) GOOGLE_API_ROOT_URL: string = 'https://www.googleapis.com/';
  @IsUrl(urlOpts) GOOGLE_TOKEN_URL: string = 'https://oauth2.googleapis.com/token';
  @ValidateIf((e: EnvironmentVariables) => e.CALENDAR_SYNC_ENABLED)
  @IsString()
  @IsNotEmpty()
  GOOGLE_SERVICE_ACCOUNT_EMAIL?: string;
  @ValidateIf((e: EnvironmentVariables) => e.CALENDAR_SYNC_ENABLED)
  @IsString()
  @Matches(/-----BEGIN [A-Z ]*PRIVATE KEY-----/, {
    message: 'GOOGLE_SERVICE_ACCOUNT_PRIVATE_KEY must be a PEM private key',
  })
  GOOGLE_SERVICE_ACCOUNT_PRIVATE_KEY?: string;
  @Transform(toInt) @IsInt() @Min(1) GOOGLE_RATE_LIMIT_PER_MINUTE: number = 500;
  /** Google counts its per-user quota per minute; only tests shorten the window. */
  @Transform(toInt) @IsInt() @Min(1) GOOGLE_QUOTA_WINDOW_SECONDS: number = 60;
  @Transform(toInt) @IsInt() @Min(1) GOOGLE_API_TIMEOUT_SECONDS: number = 30;
  /** First in-call backoff step for rate-limit answers; doubles per attempt. */
  @Transform(toInt) @IsInt() @Min(1) GOOGLE_RETRY_BASE_MS: number = 1000;

  // --- schedules and sync settings ------------------------------------------
  @Matches(CRON_6, { message: 'VMH_BETEILIGTE_SYNC_CRON must have six fields, seconds first' })
  VMH_BETEILIGTE_SYNC_CRON: string = '0 */15 * * * *';
  @Transform(toInt) @IsInt() @Min(1) VMH_BETEILIGTE_RESYNC_CLEAN_AFTER_HOURS: number = 24;
  @Matches(CRON_6, { message: 'CALENDAR_SYNC_CRON must have six fields, seconds first' })
  CALENDAR_SYNC_CRON: string = '0 */15 * * * *';
  @Transform(toBool) @IsBoolean() CALENDAR_SYNC_ENABLED: boolean = true;
  @IsOptional() @IsString() CALENDAR_SYNC_KUERZEL: string = '';
  @Transform(toBool) @IsBoolean() CALENDAR_ADVOWARE_WRITE_ALLOWED: boolean = false;
  /** What the cron sends to Google: everything, or only "Termin" and the times (privacy). */
  @Transform(toBool) @IsBoolean() CALENDAR_SYNC_FULL_CONTENT: boolean = true;
  @Transform(toInt) @IsInt() @Min(0) CALENDAR_WINDOW_DAYS_BACK: number = 30;
  @Transform(toInt) @IsInt() @Min(1) CALENDAR_WINDOW_DAYS_AHEAD: number = 365;
  @IsOptional() @IsString() CALENDAR_EMPLOYEE_EMAIL_DOMAIN?: string;
  /** The old hub's calendar to adopt instead of creating one; `{kuerzel}` is the employee's. */
  @IsString() CALENDAR_ADOPT_SUMMARY: string = 'Advoware {kuerzel}';
  /** extendedProperties keys where the old hub kept the frNr (assumed names). */
  @IsString() CALENDAR_ADOPT_REF_PROPERTIES: string = 'frNr,frnr,advoware_frnr';
  @Transform(emptyToUndefined)
  @IsOptional()
  @Validate(CalendarAdoptIdPatternRule)
  CALENDAR_ADOPT_ID_PATTERN?: string;
}

export class ConfigValidationError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid environment variables:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigValidationError';
  }
}

/**
 * Validates the whole environment at once and names every bad variable, so an
 * operator fixes the file in one pass instead of one restart per mistake.
 */
export function validateEnv(raw: Record<string, string | undefined>): EnvironmentVariables {
  const env = plainToInstance(EnvironmentVariables, stripEmpty(raw), {
    exposeDefaultValues: true,
  });
  const errors = validateSync(env, { skipMissingProperties: false, forbidUnknownValues: false });
  if (errors.length > 0) {
    const problems = errors.map((e) => {
      const reasons = Object.values(e.constraints ?? {}).join('; ');
      return `${e.property}: ${reasons}`;
    });
    throw new ConfigValidationError(problems);
  }
  return env;
}

function stripEmpty(raw: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) if (v !== undefined && v !== '') out[k] = v;
  return out;
}
