import { Redis } from 'ioredis';
import type { AppConfig } from '../config/app-config.js';
import { checkProduction } from '../config/production-rules.js';
import { type CheckResult, describeError, fail, ok, warn } from './doctor.check.js';

/**
 * The doctor's checks, each a small function over the hub's own clients. Every call
 * is a read (GET, PING, list) except the two token requests — Advoware's security
 * gateway and Google's token endpoint — which are authentication, not writes: they
 * change no data, and they are the only way to prove the credentials.
 *
 * This file holds the hub's own checks (Redis, secrets); each vendor's checks live in
 * `doctor.<system>.checks.ts`, re-exported here so the doctor imports one place.
 */

export { checkAdvoware } from './doctor.advoware.checks.js';
export { checkEspoCrm } from './doctor.espocrm.checks.js';
export { checkGoogle } from './doctor.google.checks.js';
export { checkXai } from './doctor.xai.checks.js';

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
