import { ValidationError } from '../../core/errors/upstream.errors.js';

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

export interface AdvowarePaths {
  beteiligte: string;
  kommunikationen: string;
  adressen: string;
  bankverbindungen: string;
  employees: string;
  appointments: string;
}

export type AdvowarePathName = keyof AdvowarePaths;

export const DEFAULT_ADVOWARE_PATHS: Readonly<AdvowarePaths> = Object.freeze({
  beteiligte: 'Beteiligte',
  kommunikationen: 'Beteiligte/{betNr}/Kommunikationen',
  adressen: 'Beteiligte/{betNr}/Adressen',
  bankverbindungen: 'Beteiligte/{betNr}/Bankverbindungen',
  employees: 'employees',
  appointments: 'appointments',
});

/** The environment variable that overrides each path. */
export const ADVOWARE_PATH_ENV: Readonly<Record<AdvowarePathName, string>> = Object.freeze({
  beteiligte: 'ADVOWARE_PATH_BETEILIGTE',
  kommunikationen: 'ADVOWARE_PATH_KOMMUNIKATIONEN',
  adressen: 'ADVOWARE_PATH_ADRESSEN',
  bankverbindungen: 'ADVOWARE_PATH_BANKVERBINDUNGEN',
  employees: 'ADVOWARE_PATH_EMPLOYEES',
  appointments: 'ADVOWARE_PATH_APPOINTMENTS',
});

/** Paths that live below a party and need `{betNr}`. */
export const PARTY_CHILD_PATHS: readonly AdvowarePathName[] = [
  'kommunikationen',
  'adressen',
  'bankverbindungen',
];

/** Page size of list reads that follow `limit`/`offset` (assumed to be accepted everywhere). */
export const ADVOWARE_PAGE_SIZE = 500;

/** A configured value is a relative path of plain segments, optionally rooted; no scheme, query or traversal. */
export const ADVOWARE_PATH_PATTERN =
  /^\/?(?:[A-Za-z0-9_.~-]+|\{betNr\})(?:\/(?:[A-Za-z0-9_.~-]+|\{betNr\}))*$/;

const PATTERN_BODY = ADVOWARE_PATH_PATTERN.source.slice(1, -1);
/** A path below a party: must name `{betNr}` (env validation). */
export const ADVOWARE_PARTY_PATH_PATTERN = new RegExp(`^(?=.*\\{betNr\\})${PATTERN_BODY}$`);
/** A top-level resource: no `{betNr}` (env validation). */
export const ADVOWARE_RESOURCE_PATH_PATTERN = new RegExp(`^(?!.*\\{betNr\\})${PATTERN_BODY}$`);

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

/** Paths from the environment (unset or empty = default). */
export function advowarePathsFromEnv(
  env: Partial<Record<string, string | undefined>>,
): AdvowarePaths {
  const out = { ...DEFAULT_ADVOWARE_PATHS };
  for (const name of Object.keys(ADVOWARE_PATH_ENV) as AdvowarePathName[]) {
    const value = env[ADVOWARE_PATH_ENV[name]]?.trim();
    if (value) out[name] = value.replace(/\/+$/, '');
  }
  return out;
}
