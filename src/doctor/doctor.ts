import { existsSync, readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import { Logger } from '@nestjs/common';
import { Redis } from 'ioredis';
import { AppConfig } from '../config/app-config.js';
import { ConfigValidationError } from '../config/env.schema.js';
import { HubMetrics } from '../core/metrics/hub-metrics.js';
import { AdvowareClient } from '../integrations/advoware/advoware.client.js';
import { EspoCrmClient } from '../integrations/espocrm/espocrm.client.js';
import { GoogleCalendarClient } from '../integrations/google-calendar/google-calendar.client.js';
import { XaiClient } from '../integrations/xai/xai.client.js';
import { type CheckResult, exitCodeOf, fail, formatResult, ok, summaryOf } from './doctor.check.js';
import {
  checkAdvoware,
  checkEspoCrm,
  checkGoogle,
  checkRedis,
  checkSecrets,
  checkXai,
} from './doctor.checks.js';

export interface DoctorRun {
  results: CheckResult[];
  exitCode: number;
}

/**
 * The environment the hub would run with: the file (`ENV_FILE`, else `.env` when it
 * exists) under the real environment, which wins, as in `loadConfig`. `ENV_FILE` may
 * name several files, comma-separated, later ones overriding earlier ones (the
 * sandbox writes its generated Google key to `.build/sandbox.env`). Read, never
 * written: the doctor does not call `process.loadEnvFile`.
 */
export function doctorEnv(env: NodeJS.ProcessEnv): {
  file?: string;
  values: Record<string, string | undefined>;
} {
  const file = env.ENV_FILE ?? (existsSync('.env') ? '.env' : undefined);
  const files = (file ?? '')
    .split(',')
    .map((f) => f.trim())
    .filter((f) => f.length > 0);
  const fromFiles = Object.assign(
    {},
    ...files.map((f) => parseEnv(readFileSync(f, 'utf8'))),
  ) as Record<string, string>;
  return { file, values: { ...fromFiles, ...env } };
}

/**
 * `npm run doctor`: a READ-ONLY check of a configuration before go-live. Nothing is
 * written anywhere: EspoCRM, Advoware, xAI and Google see only reads (plus the two
 * token requests, which are authentication), Redis only a PING, and the Advoware
 * client gets a cache that is never connected, so its token stays in this process
 * (and a token cached by a running hub cannot hide a wrong password).
 */
export async function runDoctor(
  env: NodeJS.ProcessEnv,
  print: (line: string) => void,
): Promise<DoctorRun> {
  const results: CheckResult[] = [];
  const report = (r: CheckResult | CheckResult[]) => {
    for (const one of Array.isArray(r) ? r : [r]) {
      results.push(one);
      print(formatResult(one));
    }
  };
  const { file, values } = doctorEnv(env);
  let config: AppConfig;
  try {
    config = AppConfig.fromEnv(values);
  } catch (err) {
    if (!(err instanceof ConfigValidationError)) throw err;
    for (const p of err.problems)
      report(fail('Configuration', p, `correct it in ${file ?? 'the environment'}`));
    return { results, exitCode: exitCodeOf(results) };
  }
  report(ok('Configuration', `${file ?? 'environment'} is valid (NODE_ENV=${config.env})`));

  // The clients log their retries; the doctor's lines say what matters.
  Logger.overrideLogger(false);
  const metrics = new HubMetrics();
  const noCache = new Redis({
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  noCache.on('error', () => undefined);
  const advoware = new AdvowareClient(config, metrics, noCache);
  try {
    report(checkSecrets(config));
    report(await checkRedis(config));
    report(await checkEspoCrm(config, new EspoCrmClient(config, metrics)));
    report(await checkAdvoware(config, advoware));
    report(await checkXai(config, new XaiClient(config, metrics)));
    report(await checkGoogle(config, new GoogleCalendarClient(config, metrics), advoware));
  } finally {
    noCache.disconnect();
  }
  print(summaryOf(results));
  return { results, exitCode: exitCodeOf(results) };
}
