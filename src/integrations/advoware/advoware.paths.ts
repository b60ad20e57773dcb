import { ValidationError } from '../../core/errors/upstream.errors.js';
import {
  ADVOWARE_PATH_ENV,
  ADVOWARE_PATH_PATTERN,
  type AdvowarePathName,
  type AdvowarePaths,
} from '../../config/advoware-paths.js';

// The table, its defaults and patterns are configuration (src/config/advoware-paths.ts);
// re-exported so the client's callers find every path helper here.
export {
  ADVOWARE_PARTY_PATH_PATTERN,
  ADVOWARE_PATH_ENV,
  ADVOWARE_PATH_PATTERN,
  ADVOWARE_RESOURCE_PATH_PATTERN,
  type AdvowarePathName,
  type AdvowarePaths,
  DEFAULT_ADVOWARE_PATHS,
  advowarePathsFromEnv,
} from '../../config/advoware-paths.js';

/**
 * Every Advoware resource the hub calls, in one table. A path is relative to the API
 * base `/api/v1/advonet/` (a value starting with `/` is taken from the host root
 * instead); `{betNr}` stands for the party's number. Each is overridable by its
 * environment variable, because only some of these names are known from a real system:
 * - `Beteiligte` and its `Kommunikationen`/`Adressen`: observed (the predecessor hub);
 * - `employees` (paged with `limit`/`offset`, `{data, total}`) and `appointments`
 *   (`POST {datum, uhrzeitVon, text}` → `{id}`, `PUT`/`DELETE appointments/{id}`,
 *   list filter `frnr`): observed in the previous system, which ran against the firm's
 *   Advoware in production;
 * - `Bankverbindungen` below a party: assumed (our contract, unverified).
 */
export const ADVOWARE_API_BASE = '/api/v1/advonet';

/** Paths that live below a party and need `{betNr}`. */
export const PARTY_CHILD_PATHS: readonly AdvowarePathName[] = [
  'kommunikationen',
  'adressen',
  'bankverbindungen',
];

/** Page size of list reads that follow `limit`/`offset` (assumed to be accepted everywhere). */
export const ADVOWARE_PAGE_SIZE = 500;

/** Checks a configured path; the message names the variable. */
export function advowarePathProblem(name: AdvowarePathName, value: string): string | undefined {
  const env = ADVOWARE_PATH_ENV[name];
  if (!ADVOWARE_PATH_PATTERN.test(value) || value.split('/').some((s) => s === '.' || s === '..'))
    return `${env} must be a path of plain segments below ${ADVOWARE_API_BASE}/ (got ${JSON.stringify(value)})`;
  const needsParty = PARTY_CHILD_PATHS.includes(name);
  if (needsParty !== value.includes('{betNr}'))
    return needsParty
      ? `${env} must contain {betNr} (the party the list belongs to)`
      : `${env} must not contain {betNr}`;
  return undefined;
}

/**
 * The request path of a resource: `advowarePath(paths, 'appointments', {}, 70001)` →
 * `/api/v1/advonet/appointments/70001`. Values are URL-encoded segment by segment.
 */
export function advowarePath(
  paths: AdvowarePaths,
  name: AdvowarePathName,
  params: { betNr?: number | string } = {},
  ...segments: Array<number | string>
): string {
  const template = paths[name];
  // A missing number must fail here, never become a request to `…/undefined`.
  const unusable = (v: unknown) =>
    v === undefined || v === null || ['', 'NaN', 'undefined', 'null'].includes(String(v).trim());
  const filled = template.replace(/\{betNr\}/g, () => {
    if (unusable(params.betNr)) throw new ValidationError(`advowarePath(${name}) needs a betNr`);
    return encodeURIComponent(String(params.betNr));
  });
  const base = filled.startsWith('/') ? filled : `${ADVOWARE_API_BASE}/${filled}`;
  for (const s of segments as unknown[]) {
    if (unusable(s))
      throw new ValidationError(`advowarePath(${name}) got no usable id segment (${String(s)})`);
  }
  return [base, ...segments.map((s) => encodeURIComponent(String(s)))].join('/');
}

export interface AdvowareReadProbe {
  name: AdvowarePathName;
  /** Request path for a GET (with `{betNr}` filled when a betNr was given). */
  path: string;
  /** Query that keeps the answer small. */
  query: Record<string, string>;
}

/**
 * The readable list paths, for the doctor to probe one by one (read-only GETs). The
 * party children are included only when a `betNr` to read them from is given.
 */
export function readableAdvowarePaths(
  paths: AdvowarePaths,
  betNr?: number | string,
): AdvowareReadProbe[] {
  const page = { limit: '1', offset: '0' };
  const probes: AdvowareReadProbe[] = [
    { name: 'employees', path: advowarePath(paths, 'employees'), query: page },
    { name: 'beteiligte', path: advowarePath(paths, 'beteiligte'), query: page },
    { name: 'appointments', path: advowarePath(paths, 'appointments'), query: page },
  ];
  if (betNr !== undefined) {
    for (const name of PARTY_CHILD_PATHS)
      probes.push({ name, path: advowarePath(paths, name, { betNr }), query: {} });
  }
  return probes;
}
