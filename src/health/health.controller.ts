import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import { AdvowareCacheIndicator } from './advoware-cache.health.js';
import { QueueBacklogIndicator } from './queue-backlog.health.js';
import { RedisHealthIndicator } from './redis.health.js';

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly redis: RedisHealthIndicator,
    private readonly queues: QueueBacklogIndicator,
    private readonly advoware: AdvowareCacheIndicator,
  ) {}

  @Get('live')
  @ApiOperation({ summary: 'Liveness: the process answers' })
  live() {
    return { status: 'ok' };
  }

  @Get('ready')
  @HealthCheck()
  @ApiOperation({
    summary: 'Readiness: Redis answers (503 otherwise); queue backlog for information',
  })
  ready() {
    return this.health.check([
      () => this.redis.check(),
      () => this.queues.check(),
      () => this.advoware.check(),
    ]);
  }
}
