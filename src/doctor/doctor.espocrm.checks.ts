import type { AppConfig } from '../config/app-config.js';
import { UpstreamUnauthorizedError } from '../core/errors/upstream.errors.js';
import type { EspoCrmClient } from '../integrations/espocrm/espocrm.client.js';
import { type CheckResult, describeError, fail, ok } from './doctor.check.js';
import {
  ESPOCRM_REQUIREMENTS,
  type EntityDefsLike,
  collectionRequirements,
  missingInEntityDefs,
} from './espocrm.requirements.js';

/** The doctor's EspoCRM checks: the API key, then every entity's fields and links the hub uses. */

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
