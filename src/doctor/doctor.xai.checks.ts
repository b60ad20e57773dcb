import type { AppConfig } from '../config/app-config.js';
import { UpstreamNotFoundError } from '../core/errors/upstream.errors.js';
import type { XaiClient } from '../integrations/xai/xai.client.js';
import { type CheckResult, describeError, fail, ok } from './doctor.check.js';

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
