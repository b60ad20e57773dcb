import type { AppConfig } from '../config/app-config.js';
import { UpstreamUnauthorizedError } from '../core/errors/upstream.errors.js';
import {
  AdvowareAuthenticationError,
  type AdvowareClient,
} from '../integrations/advoware/advoware.client.js';
import { ADVOWARE_FIELDS } from '../integrations/advoware/advoware.fields.js';
import { readableAdvowarePaths } from '../integrations/advoware/advoware.paths.js';
import { readPage, usableNumber } from '../integrations/advoware/advoware.reader.js';
import type { AdvowareMitarbeiter } from '../integrations/advoware/advoware.types.js';
import { type CheckResult, describeError, fail, ok, warn } from './doctor.check.js';

/**
 * The doctor's Advoware checks. Every call is a read except the token request to the
 * security gateway, which is authentication, not a write: it is the only way to prove
 * the credentials.
 */

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
