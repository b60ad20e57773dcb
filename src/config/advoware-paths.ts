/**
 * The Advoware resource paths as configuration (ADVOWARE_PATH_*): the table, its
 * defaults and the patterns env.schema.ts validates with. What the paths mean and which
 * are observed or assumed: integrations/advoware/advoware.paths.ts, which re-exports these.
 */
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

/** A configured value is a relative path of plain segments, optionally rooted; no scheme, query or traversal. */
export const ADVOWARE_PATH_PATTERN =
  /^\/?(?:[A-Za-z0-9_.~-]+|\{betNr\})(?:\/(?:[A-Za-z0-9_.~-]+|\{betNr\}))*$/;

const PATTERN_BODY = ADVOWARE_PATH_PATTERN.source.slice(1, -1);
/** A path below a party: must name `{betNr}` (env validation). */
export const ADVOWARE_PARTY_PATH_PATTERN = new RegExp(`^(?=.*\\{betNr\\})${PATTERN_BODY}$`);
/** A top-level resource: no `{betNr}` (env validation). */
export const ADVOWARE_RESOURCE_PATH_PATTERN = new RegExp(`^(?!.*\\{betNr\\})${PATTERN_BODY}$`);

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
