import { Controller, Get, Header, NotFoundException, UseGuards } from '@nestjs/common';
import { ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { AppConfig } from '../config/app-config.js';
import { OpsApiKeyGuard } from '../core/auth/ops-api-key.guard.js';
import { HubMetrics } from '../core/metrics/hub-metrics.js';

/** Prometheus metrics on the main port behind the ops key (METRICS_PORT=0). */
@ApiTags('console')
@ApiSecurity('ops-key')
@UseGuards(OpsApiKeyGuard)
@Controller('metrics')
export class MetricsController {
  constructor(
    private readonly metrics: HubMetrics,
    private readonly config: AppConfig,
  ) {}

  @Get()
  @Header('Content-Type', 'text/plain; version=0.0.4')
  @ApiOperation({
    summary: 'Prometheus metrics: jobs, locks, webhooks, upstream calls, token refreshes',
  })
  async scrape(): Promise<string> {
    if (this.config.http.metricsPort > 0)
      throw new NotFoundException('metrics are served on METRICS_PORT');
    return this.metrics.registry.metrics();
  }
}
