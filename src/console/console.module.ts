import { Module } from '@nestjs/common';
import { EspoCrmModule } from '../integrations/espocrm/espocrm.module.js';
import { ConsoleOverviewService } from './console-overview.service.js';
import { ConsolePageController } from './console-page.controller.js';
import { ConsoleController } from './console.controller.js';
import { EntityStatusService } from './entity-status.service.js';
import { MetricsController } from './metrics.controller.js';
import { MetricsServer } from './metrics-server.service.js';
import { QueueConsoleService } from './queue-console.service.js';
import { ShadowController } from './shadow.controller.js';
import { StepStatsRecorder } from './step-stats.recorder.js';

/**
 * The operators' console under /_console, behind OPS_API_KEY (header or Basic): JSON
 * endpoints, the page at /_console/ and, mounted in app.factory.ts, the queue dashboard.
 */
@Module({
  imports: [EspoCrmModule],
  controllers: [ConsolePageController, ConsoleController, MetricsController, ShadowController],
  providers: [
    QueueConsoleService,
    EntityStatusService,
    MetricsServer,
    ConsoleOverviewService,
    StepStatsRecorder,
  ],
})
export class ConsoleModule {}
