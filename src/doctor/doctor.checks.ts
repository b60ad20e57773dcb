import { Redis } from 'ioredis';
import type { AppConfig } from '../config/app-config.js';
import { checkProduction } from '../config/production-rules.js';
import {
  UpstreamNotFoundError,
  UpstreamUnauthorizedError,
} from '../core/errors/upstream.errors.js';
import {
  AdvowareAuthenticationError,
  type AdvowareClient,
} from '../integrations/advoware/advoware.client.js';
import { ADVOWARE_FIELDS } from '../integrations/advoware/advoware.fields.js';
import { readableAdvowarePaths } from '../integrations/advoware/advoware.paths.js';
import { readPage, usableNumber } from '../integrations/advoware/advoware.reader.js';
import type { EspoCrmClient } from '../integrations/espocrm/espocrm.client.js';
import type { GoogleCalendarClient } from '../integrations/google-calendar/google-calendar.client.js';
import type { AdvowareMitarbeiter } from '../integrations/advoware/advoware.types.js';
import type { XaiClient } from '../integrations/xai/xai.client.js';
import { type CheckResult, describeError, fail, ok, warn } from './doctor.check.js';
import {
  ESPOCRM_REQUIREMENTS,
  type EntityDefsLike,
  collectionRequirements,
  missingInEntityDefs,
} from './espocrm.requirements.js';

/**
 * The doctor's checks, each a small function over the hub's own clients. Every call
 * here is a read (GET, PING, list) except the two token requests — Advoware's security
 * gateway and Google's token endpoint — which are authentication, not writes: they
 * change no data, and they are the only way to prove the credentials.
 */

// --- Redis --------------------------------------------------------------------------

export async function checkRedis(config: AppConfig): Promise<CheckResult> {
  const name = 'Redis reachable';
  const where = `${config.redis.host}:${config.redis.port} db ${config.redis.db}`;
  const redis = new Redis({
    host: config.redis.host,
    port: config.redis.port,
    password: config.redis.password,
    db: config.redis.db,
    lazyConnect: true,
    connectTimeout: 3000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    const pong = await redis.ping();
    return ok(name, `${pong} from ${where}`);
  } catch (err) {
    return fail(
      name,
      `${where}: ${describeError(err)}`,
      'start Redis or correct REDIS_HOST / REDIS_PORT / REDIS_PASSWORD / REDIS_DB',
    );
  } finally {
    redis.disconnect();
  }
}

// --- EspoCRM --------------------------------------------------------------------------

export async function checkEspoCrm(config: AppConfig, espo: EspoCrmClient): Promise<CheckResult[]> {
  const keyName = 'EspoCRM API key';
  const requirements = [
    ...ESPOCRM_REQUIREMENTS,
    ...collectionRequirements(config.xai.collectionEntityTypes),
  ];
  const defs = new Map<string, EntityDefsLike | null>();
  try {
    for (const req of requirements) {
      if (defs.has(req.entity)) continue;
      defs.set(
        req.entity,
        await espo.getMetadata<EntityDefsLike | null>(`entityDefs.${req.entity}`),
      );
    }
  } catch (err) {
    const fix =
      err instanceof UpstreamUnauthorizedError
        ? 'ESPOCRM_API_KEY is not accepted: copy the API user’s key from EspoCRM (Administration → API Users)'
        : 'check ESPOCRM_API_BASE_URL (…/api/v1) and that EspoCRM answers';
    return [fail(keyName, `GET Metadata at ${config.espocrm.baseUrl}: ${describeError(err)}`, fix)];
  }
  const results: CheckResult[] = [ok(keyName, `metadata readable at ${config.espocrm.baseUrl}`)];
  const seen = new Set<string>();
  for (const req of requirements) {
    const key = `${req.entity}|${req.usedBy}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const missing = missingInEntityDefs(req, defs.get(req.entity));
    const name = `EspoCRM ${req.entity} (${req.usedBy})`;
    const checked = req.fields.length + (req.links?.length ?? 0);
    results.push(
      missing.length === 0
        ? ok(name, `all ${checked} fields and links exist`)
        : fail(
            name,
            `missing ${missing.join('; ')}`,
            `create them in EspoCRM's Entity Manager (names exactly as shown), or take the entity out of the hub's configuration`,
          ),
    );
  }
  return results;
}

// --- Advoware -------------------------------------------------------------------------

/** Token, employees, a party and its field names, then every configured readable path. */
export async function checkAdvoware(
  config: AppConfig,
  advoware: AdvowareClient,
): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  let employees: AdvowareMitarbeiter[];
  try {
    employees = await advoware.listMitarbeiter();
  } catch (err) {
    if (err instanceof AdvowareAuthenticationError || err instanceof UpstreamUnauthorizedError) {
      return [
        fail(
          'Advoware token',
          `the security gateway ${config.advoware.authUrl} refused the hub: ${describeError(err)}`,
          'check ADVOWARE_USER / ADVOWARE_PASSWORD / ADVOWARE_API_KEY / ADVOWARE_APP_ID / ADVOWARE_KANZLEI / ADVOWARE_DATABASE',
        ),
      ];
    }
    results.push(ok('Advoware token', `obtained from ${config.advoware.authUrl}`));
    results.push(
      fail(
        'Advoware employees',
        `GET ${advoware.path('employees')}: ${describeError(err)}`,
        'check ADVOWARE_API_BASE_URL and ADVOWARE_PATH_EMPLOYEES',
      ),
    );
    return results;
  }
  results.push(ok('Advoware token', `obtained from ${config.advoware.authUrl}`));
  results.push(ok('Advoware employees', `${employees.length} Mitarbeiter readable`));

  const betNr = await firstParty(advoware, results);
  if (betNr !== undefined) await checkPartyFields(advoware, betNr, results);

  for (const probe of readableAdvowarePaths(config.advoware.paths, betNr)) {
    const name = `Advoware path ${probe.name}`;
    try {
      const res = await advoware.request('GET', probe.path, { query: probe.query, attempts: 1 });
      results.push(ok(name, `GET ${probe.path} answered ${res.status}`));
    } catch (err) {
      results.push(
        fail(
          name,
          `GET ${probe.path}: ${describeError(err)}`,
          `set ADVOWARE_PATH_${probe.name.toUpperCase()} to the resource name the firm's Advoware serves`,
        ),
      );
    }
  }
  return results;
}

async function firstParty(
  advoware: AdvowareClient,
  results: CheckResult[],
): Promise<number | undefined> {
  const name = 'Advoware party readable';
  try {
    const { data } = await advoware.request<unknown>('GET', advoware.path('beteiligte'), {
      query: { limit: '1', offset: '0' },
    });
    const first = readPage(data).items[0] as Record<string, unknown> | undefined;
    if (!first) {
      results.push(warn(name, 'Advoware answered an empty party list; fields not checked'));
      return undefined;
    }
    const betNr = usableNumber(first.betNr ?? first.betnr ?? first.BetNr);
    if (betNr === undefined) {
      results.push(
        fail(
          name,
          `a listed party has no usable betNr (keys: ${Object.keys(first).join(', ')})`,
          'the hub reads betNr; report this answer to the hub’s maintainers',
        ),
      );
      return undefined;
    }
    return betNr;
  } catch (err) {
    results.push(
      fail(
        name,
        `GET ${advoware.path('beteiligte')}: ${describeError(err)}`,
        'check ADVOWARE_PATH_BETEILIGTE and the API user’s rights in Advoware',
      ),
    );
    return undefined;
  }
}

async function checkPartyFields(
  advoware: AdvowareClient,
  betNr: number,
  results: CheckResult[],
): Promise<void> {
  const path = advoware.path('beteiligte', {}, betNr);
  let raw: unknown;
  try {
    raw = (await advoware.request<unknown>('GET', path)).data;
  } catch (err) {
    results.push(
      fail(
        'Advoware party readable',
        `GET ${path}: ${describeError(err)}`,
        'check ADVOWARE_PATH_BETEILIGTE',
      ),
    );
    return;
  }
  const record = (Array.isArray(raw) ? raw[0] : raw) as Record<string, unknown> | undefined;
  if (!record || typeof record !== 'object') {
    results.push(
      fail(
        'Advoware party readable',
        `GET ${path} answered no record`,
        'check ADVOWARE_PATH_BETEILIGTE',
      ),
    );
    return;
  }
  results.push(ok('Advoware party readable', `GET ${path}`));
  const keys = Object.keys(record);
  const lower = new Map(keys.map((k) => [k.toLowerCase(), k]));
  const expected = Object.entries(ADVOWARE_FIELDS.beteiligte)
    .filter(([field, source]) => source !== 'assumed' && field !== 'kommunikation')
    .map(([field]) => field);
  const exact = expected.filter((f) => keys.includes(f));
  const otherCase = expected.filter((f) => !keys.includes(f) && lower.has(f.toLowerCase()));
  const absent = expected.filter((f) => !keys.includes(f) && !lower.has(f.toLowerCase()));
  const name = 'Advoware party fields';
  if (!keys.includes('betNr') && !lower.has('betnr')) {
    results.push(
      fail(
        name,
        `no betNr on party ${betNr} (keys: ${keys.join(', ')})`,
        'the hub cannot sync parties without their number; report this answer',
      ),
    );
  } else if (otherCase.length > 0 || absent.length > 0) {
    const parts = [`${exact.length}/${expected.length} as expected`];
    if (otherCase.length)
      parts.push(
        `other casing: ${otherCase.map((f) => `${lower.get(f.toLowerCase())} (${f})`).join(', ')}`,
      );
    if (absent.length) parts.push(`absent (may be empty on this party): ${absent.join(', ')}`);
    results.push(
      warn(
        name,
        parts.join('; '),
        'the hub reads either casing; absent fields stay empty in EspoCRM',
      ),
    );
  } else {
    results.push(ok(name, `all ${expected.length} field names as expected`));
  }
  results.push(
    'kommunikation' in record || lower.has('kommunikation')
      ? ok('Advoware party kommunikation', 'embedded in the party record')
      : warn(
          'Advoware party kommunikation',
          'not embedded; the hub reads the Kommunikationen list instead',
        ),
  );
  results.push(
    'externeId' in record || lower.has('externeid')
      ? ok('Advoware externeId', 'appears on parties (the retried-create guard can use it)')
      : warn(
          'Advoware externeId',
          `does not appear on party ${betNr}; the create journal alone guards a retried create`,
          'nothing to do; to see whether Advoware keeps the field, check a party the hub created',
        ),
  );
}

// --- xAI --------------------------------------------------------------------------------

/** Each key on its own host: files (GET a file id that cannot exist) and collections (list one). */
export async function checkXai(config: AppConfig, xai: XaiClient): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  try {
    await xai.getFile('file_bitbylaw-doctor-probe');
    results.push(ok('xAI files key', `accepted by ${config.xai.apiBaseUrl}`));
  } catch (err) {
    // A 404 for an id that does not exist means the key got past authentication.
    results.push(
      err instanceof UpstreamNotFoundError
        ? ok('xAI files key', `accepted by ${config.xai.apiBaseUrl}`)
        : fail(
            'xAI files key',
            `GET ${config.xai.apiBaseUrl}/v1/files/…: ${describeError(err)}`,
            'check XAI_API_KEY (an API key of api.x.ai) and XAI_API_BASE_URL',
          ),
    );
  }
  try {
    const it = xai.listCollections({ pageSize: 1 })[Symbol.asyncIterator]();
    await it.next();
    await it.return?.();
    results.push(
      ok('xAI management key', `collections listable at ${config.xai.managementBaseUrl}`),
    );
  } catch (err) {
    results.push(
      fail(
        'xAI management key',
        `GET ${config.xai.managementBaseUrl}/v1/collections: ${describeError(err)}`,
        'check XAI_MANAGEMENT_KEY (a management key of management-api.x.ai) and XAI_MANAGEMENT_API_BASE_URL',
      ),
    );
  }
  return results;
}

// --- Google -------------------------------------------------------------------------------

/** Impersonation of each employee in scope: one calendar list per employee (a read). */
export async function checkGoogle(
  config: AppConfig,
  google: GoogleCalendarClient,
  advoware: AdvowareClient,
): Promise<CheckResult[]> {
  if (!config.calendar.enabled) {
    return [warn('Google impersonation', 'CALENDAR_SYNC_ENABLED=false: not checked')];
  }
  let employees: AdvowareMitarbeiter[];
  try {
    employees = await advoware.listMitarbeiter();
  } catch (err) {
    return [
      fail(
        'Google impersonation',
        `no employees to check: Advoware employees unreadable (${describeError(err)})`,
        'fix the Advoware checks above first',
      ),
    ];
  }
  const scope = config.calendar.kuerzel.map((k) => k.toUpperCase());
  const inScope = employees.filter(
    (m) =>
      typeof m.kuerzel === 'string' &&
      (scope.length === 0 || scope.includes(m.kuerzel.toUpperCase())),
  );
  if (inScope.length === 0) {
    return [warn('Google impersonation', 'no employee in scope (CALENDAR_SYNC_KUERZEL)')];
  }
  const results: CheckResult[] = [];
  for (const m of inScope) {
    const name = `Google impersonation ${m.kuerzel}`;
    const subject = subjectOf(config, m);
    if (!subject) {
      results.push(
        fail(
          name,
          `Mitarbeiter ${m.kuerzel} has no email`,
          'set CALENDAR_EMPLOYEE_EMAIL_DOMAIN or the email in Advoware',
        ),
      );
      continue;
    }
    try {
      const calendars = await google.listCalendars(subject);
      results.push(ok(name, `${subject}: ${calendars.length} calendars readable`));
    } catch (err) {
      results.push(
        fail(
          name,
          `${subject}: ${describeError(err)}`,
          'grant the service account domain-wide delegation for the calendar scope, and check GOOGLE_SERVICE_ACCOUNT_EMAIL / _PRIVATE_KEY',
        ),
      );
    }
  }
  return results;
}

/** As the calendar sync derives it: the Mitarbeiter's email, else `<kuerzel>@CALENDAR_EMPLOYEE_EMAIL_DOMAIN`. */
function subjectOf(config: AppConfig, m: AdvowareMitarbeiter): string | undefined {
  const email = typeof m.email === 'string' ? m.email.trim() : '';
  if (email) return email;
  const domain = config.calendar.employeeEmailDomain?.trim();
  return domain ? `${m.kuerzel.toLowerCase()}@${domain}` : undefined;
}

// --- secrets ------------------------------------------------------------------------------

/**
 * Placeholders, published values and short keys (production-rules.ts), and webhook
 * ids without a route binding: failures under NODE_ENV=production, warnings otherwise.
 */
export function checkSecrets(config: AppConfig): CheckResult[] {
  const production = config.env === 'production';
  const asProduction = { ...config, env: 'production' } as AppConfig;
  const problems = checkProduction(asProduction).problems;
  const unbound = [...config.webhook.secrets.keys()].filter((id) => !config.webhook.routes.has(id));
  if (unbound.length > 0) {
    problems.push(
      `ESPOCRM_WEBHOOK_SECRETS: webhook ${unbound.join(', ')} bound to no route (write webhookId:secret@route, e.g. @beteiligte.create)`,
    );
  }
  if (problems.length === 0) {
    return [
      ok('Secrets', 'no placeholder, published or short key; every webhook bound to its route'),
    ];
  }
  const make = production ? fail : warn;
  return problems.map((p) =>
    make(
      'Secrets',
      p,
      production
        ? 'replace it before starting in production'
        : 'fine for the sandbox; replace it before go-live',
    ),
  );
}
