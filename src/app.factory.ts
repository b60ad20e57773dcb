import {
  type DynamicModule,
  type INestApplication,
  type LoggerService,
  NotFoundException,
  type Type,
  ValidationPipe,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { NextFunction, Request, Response } from 'express';
import { AppModule } from './app.module.js';
import { AppConfig } from './config/app-config.js';
import { HubLogger } from './core/logging/hub-logger.js';
import { mountQueueDashboard } from './console/queue-dashboard.js';

export function createLogger(config: AppConfig): HubLogger {
  return new HubLogger({
    json: config.log.format === 'json',
    level: config.log.level,
    secrets: config.secrets,
  });
}

/** Builds the hub for a config: used by main.ts, the sandbox, tests and the benchmark alike. */
export async function createApp(
  config: AppConfig,
  options: { logger?: LoggerService; extraModules?: Array<Type | DynamicModule> } = {},
): Promise<NestExpressApplication> {
  const logger = options.logger ?? createLogger(config);
  const app = await NestFactory.create<NestExpressApplication>(
    AppModule.forRoot(config, options.extraModules),
    {
      rawBody: true,
      // JSON only (configureApp): nothing the hub serves takes a form, and Nest's default
      // urlencoded parser would cost every webhook a content-type check.
      bodyParser: false,
      logger,
      abortOnError: false,
    },
  );
  configureApp(app, config);
  if (config.http.queueDashboardEnabled && config.runsHttp) mountQueueDashboard(app, config);
  await app.init();
  return app;
}

export function configureApp(app: NestExpressApplication, config: AppConfig): void {
  // 1 MB: EspoCRM sends at most 50 records a batch; anything bigger is not a webhook.
  app.useBodyParser('json', { limit: '1mb' });
  app.useGlobalPipes(
    new ValidationPipe({ whitelist: true, transform: true, forbidNonWhitelisted: true }),
  );
  app.enableShutdownHooks();
  app.disable('x-powered-by');
  // No ETag on answers: nothing revalidates a webhook's or an API's JSON, and Express
  // would hash every answer for it. Static files (Swagger UI) keep their own.
  app.set('etag', false);
  if (!config.runsHttp) {
    // A worker keeps liveness and readiness for systemd/containers, and nothing else.
    app.use((req: Request, _res: Response, next: NextFunction) => {
      if (req.path.startsWith('/health/')) return next();
      next(new NotFoundException(`APP_ROLE=worker serves no ${req.path}`));
    });
  }
  if (config.http.swaggerEnabled && config.runsHttp) setupSwagger(app);
}

function setupSwagger(app: INestApplication): void {
  const doc = new DocumentBuilder()
    .setTitle('bitbylaw-hub')
    .setDescription(
      'Integration hub: EspoCRM ↔ Advoware ↔ xAI Collections ↔ Google Calendar. ' +
        'Webhooks under /vmh/webhook, the Advoware proxy under /advoware, operations under /_console.',
    )
    .setVersion('0.1.0')
    .addApiKey({ type: 'apiKey', in: 'header', name: 'X-Api-Key' }, 'ops-key')
    .addApiKey({ type: 'apiKey', in: 'header', name: 'X-Api-Key' }, 'proxy-key')
    .addApiKey({ type: 'apiKey', in: 'header', name: 'Signature' }, 'espocrm-signature')
    .build();
  const document = SwaggerModule.createDocument(app, doc);
  SwaggerModule.setup('api/docs', app, document, { jsonDocumentUrl: 'api/docs-json' });
}
