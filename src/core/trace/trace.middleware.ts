import { Injectable, type NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { HubMetrics } from '../metrics/hub-metrics.js';
import { runWithTrace, traceIdFrom } from './trace-context.js';

/** The label of a webhook-looking request that matched no route (404s, probes, garbage). */
export const OTHER_ROUTE = 'other';

const looksLikeWebhook = (path: string) => path.includes('/webhook/') || path.endsWith('/webhook');

/**
 * The metric label of a finished request: the template of the Express route that
 * handled it, never the raw path. The path is chosen by whoever sends the request,
 * before any guard; labelling by it let anyone create a new time series per request
 * (issue 16: 300 random paths grew /metrics from 8 KB to 237 KB), so the labels are
 * bounded by the routes the hub declares, plus `other`.
 */
export function webhookRouteLabel(req: Request): string | undefined {
  const template = (req.route as { path?: unknown } | undefined)?.path;
  if (typeof template === 'string') {
    const full = `${req.baseUrl ?? ''}${template}`;
    return looksLikeWebhook(full) ? full : undefined;
  }
  return looksLikeWebhook(req.originalUrl.split('?')[0]) ? OTHER_ROUTE : undefined;
}

/**
 * Gives every request a trace id (the caller's `X-Request-Id` if sane), echoes it,
 * and counts webhook answers by route template and status.
 */
@Injectable()
export class TraceMiddleware implements NestMiddleware {
  constructor(private readonly metrics: HubMetrics) {}

  use(req: Request, res: Response, next: NextFunction): void {
    const traceId = traceIdFrom(req.headers['x-request-id']);
    (req as Request & { traceId?: string }).traceId = traceId;
    res.setHeader('X-Request-Id', traceId);
    // A webhook route's path holds `/webhook` literally, so other requests pay nothing
    // here. The label is decided when the answer is out: only then does Express know
    // which route (if any) matched.
    if (req.originalUrl.includes('/webhook')) {
      res.on('finish', () => {
        const route = webhookRouteLabel(req);
        if (route !== undefined)
          this.metrics.webhooks.inc({ route, status: String(res.statusCode) });
      });
    }
    runWithTrace(traceId, next);
  }
}

export function requestTraceId(req: Request): string {
  return (req as Request & { traceId?: string }).traceId ?? traceIdFrom(undefined);
}
