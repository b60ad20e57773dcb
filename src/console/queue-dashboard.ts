import { createBullBoard } from '@bull-board/api';
import { BullAdapter } from '@bull-board/api/bullAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { getQueueToken } from '@nestjs/bull';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Queue } from 'bull';
import { AppConfig } from '../config/app-config.js';
import { opsBasicAuth } from '../core/auth/ops-credentials.js';
import { REGISTERED_QUEUES } from '../core/queue/queue-names.js';

export const QUEUE_DASHBOARD_PATH = '/_console/queues/ui';

/**
 * bull-board under /_console/queues/ui. Mounted with its Express adapter rather than
 * @bull-board/nestjs: that package is CommonJS requiring Nest 12's ES modules, which
 * Jest cannot load on Node 20, so its routes could not be tested.
 *
 * The page's own API and asset requests carry no custom header, so the only scheme a
 * browser applies to all of them is HTTP Basic (user `ops`, the ops key): one check
 * in front of the page, its API and its static files alike. `X-Api-Key` still works
 * for scripts; `?key=` does not (it leaked into history and proxy logs).
 */
export function mountQueueDashboard(app: NestExpressApplication, config: AppConfig): void {
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(QUEUE_DASHBOARD_PATH);
  const readOnlyMode = config.http.queueDashboardReadOnly;
  const queues = [...REGISTERED_QUEUES].flatMap((name) => {
    try {
      return [
        new BullAdapter(app.get<Queue>(getQueueToken(name), { strict: false }), { readOnlyMode }),
      ];
    } catch {
      return [];
    }
  });
  createBullBoard({ queues, serverAdapter });
  app.use(QUEUE_DASHBOARD_PATH, opsBasicAuth(config.opsApiKey));
  app.use(QUEUE_DASHBOARD_PATH, serverAdapter.getRouter());
}
