import { Injectable, type NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { HubMetrics } from '../metrics/hub-metrics.js';
import { runWithTrace, traceIdFrom } from './trace-context.js';

/**
 * Gives every request a trace id (the caller's `X-Request-Id` if sane), echoes it,
 * and counts webhook answers by route and status.
 */
@Injectable()
export class TraceMiddleware implements NestMiddleware {
  constructor(private readonly metrics: HubMetrics) {}

  use(req: Request, res: Response, next: NextFunction): void {
    const traceId = traceIdFrom(req.headers['x-request-id']);
    (req as Request & { traceId?: string }).traceId = traceId;
    res.setHeader('X-Request-Id', traceId);
    const path = req.originalUrl.split('?')[0];
    if (path.includes('/webhook/') || path.endsWith('/webhook')) {
      res.on('finish', () =>
        this.metrics.webhooks.inc({ route: path, status: String(res.statusCode) }),
      );
    }
    runWithTrace(traceId, next);
  }
}

export function requestTraceId(req: Request): string {
  return (req as Request & { traceId?: string }).traceId ?? traceIdFrom(undefined);
}
