import { createBullBoard } from '@bull-board/api';
import { BullAdapter } from '@bull-board/api/bullAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { getQueueToken } from '@nestjs/bull';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Queue } from 'bull';
import type { NextFunction, Request, Response } from 'express';
import { AppConfig } from '../config/app-config.js';
import { matchesAnyKey } from '../core/auth/api-key.js';
import { REGISTERED_QUEUES } from '../core/queue/queue-names.js';

export const QUEUE_DASHBOARD_PATH = '/_console/queues/ui';

/**
 * bull-board under /_console/queues/ui behind the ops key. Mounted with its Express
 * adapter rather than @bull-board/nestjs: that package is CommonJS requiring Nest 12's
 * ES modules, which Jest cannot load on Node 20, so its routes could not be tested.
 */
export function mountQueueDashboard(app: NestExpressApplication, config: AppConfig): void {
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(QUEUE_DASHBOARD_PATH);
  const queues = [...REGISTERED_QUEUES].flatMap((name) => {
    try {
      return [new BullAdapter(app.get<Queue>(getQueueToken(name), { strict: false }))];
    } catch {
      return [];
    }
  });
  createBullBoard({ queues, serverAdapter });
  app.use(QUEUE_DASHBOARD_PATH, (req: Request, res: Response, next: NextFunction) => {
    // A browser cannot send headers when it navigates: the key may come as ?key= too.
    const key = req.headers['x-api-key'] ?? req.query.key;
    if (matchesAnyKey(key, [config.opsApiKey])) return next();
    res.status(401).json({ statusCode: 401, message: 'X-Api-Key header missing or wrong' });
  });
  app.use(QUEUE_DASHBOARD_PATH, serverAdapter.getRouter());
}
