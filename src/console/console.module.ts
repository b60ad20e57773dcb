import { Module } from '@nestjs/common';
import { EspoCrmModule } from '../integrations/espocrm/espocrm.module.js';
import { ConsoleController } from './console.controller.js';
import { EntityStatusService } from './entity-status.service.js';
import { MetricsController } from './metrics.controller.js';
import { MetricsServer } from './metrics-server.service.js';
import { QueueConsoleService } from './queue-console.service.js';
import { ShadowController } from './shadow.controller.js';

/** The operators' console under /_console, behind OPS_API_KEY (the dashboard: queue-dashboard.ts). */
@Module({
  imports: [EspoCrmModule],
  controllers: [ConsoleController, MetricsController, ShadowController],
  providers: [QueueConsoleService, EntityStatusService, MetricsServer],
})
export class ConsoleModule {}
