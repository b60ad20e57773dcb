import { Injectable } from '@nestjs/common';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * All Prometheus metrics of the hub, on a registry of its own per app instance
 * (tests run several instances in one process; the global registry would clash).
 */
@Injectable()
export class HubMetrics {
  readonly registry = new Registry();

  readonly jobs = new Counter({
    name: 'hub_jobs_total',
    help: 'Jobs finished, by queue, job name and outcome (completed, failed, retried, deferred)',
    labelNames: ['queue', 'job', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly jobDuration = new Histogram({
    name: 'hub_job_duration_seconds',
    help: 'Job run time by queue and job name',
    labelNames: ['queue', 'job'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });

  readonly locks = new Counter({
    name: 'hub_entity_lock_total',
    help: 'Entity lock outcomes: acquired, busy (event deferred to a trailing run), trailing_run, lost',
    labelNames: ['step', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly webhooks = new Counter({
    name: 'hub_webhook_requests_total',
    help: 'Webhook requests by route and HTTP status',
    labelNames: ['route', 'status'] as const,
    registers: [this.registry],
  });

  readonly webhookEvents = new Counter({
    name: 'hub_webhook_events_total',
    help: 'Webhook event ids by topic and result (enqueued, coalesced)',
    labelNames: ['topic', 'result'] as const,
    registers: [this.registry],
  });

  readonly upstream = new Histogram({
    name: 'hub_upstream_request_duration_seconds',
    help: 'Calls to external systems by system, route template, method and status',
    labelNames: ['system', 'route', 'method', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  readonly tokenRefreshes = new Counter({
    name: 'hub_advoware_token_refreshes_total',
    help: 'Advoware tokens fetched from the security gateway, by reason',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  /** SYNC_MODE=shadow (src/core/shadow): writes recorded instead of sent. */
  readonly shadowWrites = new Counter({
    name: 'hub_shadow_writes_total',
    help: 'Writes shadow mode recorded instead of sending, by system, HTTP method and kind',
    labelNames: ['system', 'method', 'kind'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }
}
