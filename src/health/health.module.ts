import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { AdvowareModule } from '../integrations/advoware/advoware.module.js';
import { AdvowareCacheIndicator } from './advoware-cache.health.js';
import { HealthController } from './health.controller.js';
import { QueueBacklogIndicator } from './queue-backlog.health.js';
import { RedisHealthIndicator } from './redis.health.js';

@Module({
  imports: [TerminusModule.forRoot({ logger: false }), AdvowareModule],
  controllers: [HealthController],
  providers: [RedisHealthIndicator, QueueBacklogIndicator, AdvowareCacheIndicator],
  exports: [RedisHealthIndicator],
})
export class HealthModule {}
