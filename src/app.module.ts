import {
  type DynamicModule,
  type MiddlewareConsumer,
  Module,
  type NestModule,
  type Type,
} from '@nestjs/common';
import { AdvowareProxyModule } from './advoware-proxy/advoware-proxy.module.js';
import { CalendarSyncModule } from './calendar-sync/calendar-sync.module.js';
import { AppConfig } from './config/app-config.js';
import { HubConfigModule } from './config/config.module.js';
import { ConsoleModule } from './console/console.module.js';
import { CoreModule } from './core/core.module.js';
import { TraceMiddleware } from './core/trace/trace.middleware.js';
import { HealthModule } from './health/health.module.js';
import { BankverbindungenModule } from './vmh/bankverbindungen/bankverbindungen.module.js';
import { BeteiligteModule } from './vmh/beteiligte/beteiligte.module.js';
import { DocumentsModule } from './vmh/documents/documents.module.js';
import { XaiCollectionsModule } from './xai/xai.module.js';

/**
 * The domain modules; each owns its webhooks, processors, crons and services. Express
 * tries routes in the order their modules come here, so the webhooks, which take
 * nearly every request, come first and the console's thirty routes last.
 */
const domainModules: Array<Type | DynamicModule> = [
  DocumentsModule,
  BeteiligteModule,
  BankverbindungenModule,
  XaiCollectionsModule,
  AdvowareProxyModule,
  CalendarSyncModule,
  HealthModule,
  ConsoleModule,
];

@Module({})
export class AppModule implements NestModule {
  /** `extra` lets tests and the benchmark add modules (e.g. a probe step) to the real app. */
  static forRoot(config: AppConfig, extra: Array<Type | DynamicModule> = []): DynamicModule {
    return {
      module: AppModule,
      imports: [
        HubConfigModule.forRoot(AppConfig.sourceOf(config)),
        CoreModule.forRoot(),
        ...domainModules,
        ...extra,
      ],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(TraceMiddleware).forRoutes('*path');
  }
}
