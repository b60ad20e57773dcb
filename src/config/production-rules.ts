import type { AppConfig } from './app-config.js';

/** Shortest key the hub accepts in production for the keys it or EspoCRM generates. */
export const MIN_PRODUCTION_KEY_LENGTH = 32;

/**
 * The secret values `.env.example` ships (the sandbox's). They are published with the
 * repository, so a deployment that kept one is open to anyone who read it.
 * production-rules.spec.ts checks this list against the file, so the two cannot drift;
 * it lives in code because a deployment need not ship `.env.example`.
 */
export const EXAMPLE_SECRET_VALUES: readonly string[] = [
  'sandbox-ops-key-change-me',
  'sandbox-proxy-key-change-me',
  'sandbox-espocrm-key',
  'c2FuZGJveC1hZHZvd2FyZS1rZXk=',
  'sandbox-advoware-password',
  'sandbox-xai-files-key',
  'sandbox-xai-management-key',
];

/** Words that mark a value as a placeholder, whatever else it holds. */
const PLACEHOLDER_WORDS = /change-me|sandbox/i;

interface NamedSecret {
  /** How the operator finds it: the variable, plus the entry for lists. Never the value. */
  name: string;
  value: string | undefined;
  /** Keys the hub's operators (or EspoCRM) generate, so a length can be required. */
  minLength: boolean;
}

function namedSecrets(config: AppConfig): NamedSecret[] {
  const out: NamedSecret[] = [{ name: 'OPS_API_KEY', value: config.opsApiKey, minLength: true }];
  config.proxy.apiKeys.forEach((value, i) =>
    out.push({ name: `PROXY_API_KEYS (entry ${i + 1})`, value, minLength: true }),
  );
  // Assumed, not observed: EspoCRM generates webhook secret keys of 32 characters
  // (hex of 16 random bytes); a shorter one was typed by a person.
  for (const [id, value] of config.webhook.secrets)
    out.push({ name: `ESPOCRM_WEBHOOK_SECRETS (webhook ${id})`, value, minLength: true });
  // Given by the vendors in formats the hub does not choose: checked for placeholders only.
  out.push(
    { name: 'ESPOCRM_API_KEY', value: config.espocrm.apiKey, minLength: false },
    { name: 'ADVOWARE_API_KEY', value: config.advoware.apiKey, minLength: false },
    { name: 'ADVOWARE_PASSWORD', value: config.advoware.password, minLength: false },
    { name: 'XAI_API_KEY', value: config.xai.apiKey, minLength: false },
    { name: 'XAI_MANAGEMENT_KEY', value: config.xai.managementKey, minLength: false },
    { name: 'REDIS_PASSWORD', value: config.redis.password, minLength: false },
  );
  return out;
}

export interface ProductionCheck {
  /** Each a variable name and the reason; the process must not start with any. */
  problems: string[];
  /** Accepted, but to be logged loudly at every start. */
  warnings: string[];
}

/**
 * What production refuses: settings that let anyone in (no webhook signatures, a
 * published or guessable key). Outside production everything passes, so the sandbox
 * and the tests keep their short, readable keys. Messages name variables, never values.
 */
export function checkProduction(config: AppConfig): ProductionCheck {
  const result: ProductionCheck = { problems: [], warnings: [] };
  if (config.env !== 'production') return result;

  if (config.webhook.secrets.size === 0) {
    if (config.allowUnsignedWebhooks) {
      result.warnings.push(
        'ALLOW_UNSIGNED_WEBHOOKS=true and ESPOCRM_WEBHOOK_SECRETS is empty: webhook signatures are NOT checked; ' +
          'anyone who reaches the hub can post webhooks that change data in Advoware and xAI',
      );
    } else {
      result.problems.push(
        'ESPOCRM_WEBHOOK_SECRETS: empty in production, so anyone could post webhooks; ' +
          'set webhookId:secret pairs (or ALLOW_UNSIGNED_WEBHOOKS=true to accept that risk)',
      );
    }
  }

  for (const s of namedSecrets(config)) {
    if (s.value === undefined || s.value === '') continue;
    if (EXAMPLE_SECRET_VALUES.includes(s.value)) {
      result.problems.push(`${s.name}: is a value published in .env.example; generate a new one`);
    } else if (PLACEHOLDER_WORDS.test(s.value)) {
      result.problems.push(
        `${s.name}: contains "change-me" or "sandbox", a placeholder; generate a real one`,
      );
    }
    if (s.minLength && s.value.length < MIN_PRODUCTION_KEY_LENGTH) {
      result.problems.push(
        `${s.name}: ${s.value.length} characters; production needs at least ${MIN_PRODUCTION_KEY_LENGTH} ` +
          '(e.g. openssl rand -hex 24)',
      );
    }
  }
  return result;
}
