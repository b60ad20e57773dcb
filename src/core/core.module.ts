import {
  Global,
  Inject,
  Module,
  type DynamicModule,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import type { Redis } from 'ioredis';
import { DiscoveryModule, ModuleRef } from '@nestjs/core';
import { ScheduleModule } from '@nestjs/schedule';
import { getQueueToken } from '@nestjs/bull';
import type { Queue } from 'bull';
import { OpsApiKeyGuard } from './auth/ops-api-key.guard.js';
import { EntityLock } from './lock/entity-lock.service.js';
import { HubMetrics } from './metrics/hub-metrics.js';
import { CronScheduler } from './queue/cron-scheduler.service.js';
import { JobProducer } from './queue/job-producer.service.js';
import { REGISTERED_QUEUES } from './queue/queue-names.js';
import { QueueModule } from './queue/queue.module.js';
import { StepWorker } from './queue/step-worker.service.js';
import { REDIS, REDIS_CACHE, RedisModule } from './redis/redis.module.js';
import { ShadowRecorder } from './shadow/shadow-recorder.service.js';
import { ShutdownService } from './shutdown/shutdown.service.js';
import { StepRegistry } from './steps/step-registry.service.js';
import { TraceMiddleware } from './trace/trace.middleware.js';
import { EspoWebhookGuard } from './webhook/espo-webhook.guard.js';
import { WebhookIntake } from './webhook/webhook-intake.service.js';

const providers = [
  HubMetrics,
  EntityLock,
  JobProducer,
  StepRegistry,
  StepWorker,
  CronScheduler,
  ShutdownService,
  WebhookIntake,
  EspoWebhookGuard,
  OpsApiKeyGuard,
  TraceMiddleware,
  ShadowRecorder,
];

/** Cross-cutting and small: Redis, queues, locks, steps, trace, auth. */
@Global()
@Module({})
export class CoreModule implements OnApplicationBootstrap {
  constructor(
    private readonly moduleRef: ModuleRef,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(REDIS_CACHE) private readonly cache: Redis,
  ) {}

  /** AppConfig comes from HubConfigModule (src/config/config.module.ts), global like this one. */
  static forRoot(): DynamicModule {
    return {
      module: CoreModule,
      imports: [RedisModule, QueueModule, ScheduleModule.forRoot(), DiscoveryModule],
      providers,
      exports: providers,
    };
  }

  /** Boot completes once every queue's connection is up: no webhook races a cold Redis. */
  async onApplicationBootstrap(): Promise<void> {
    const queues = [...REGISTERED_QUEUES].flatMap((name) => {
      try {
        return [this.moduleRef.get<Queue>(getQueueToken(name), { strict: false })];
      } catch {
        return [];
      }
    });
    await Promise.all([
      ...queues.map((q) => q.isReady()),
      whenReady(this.redis),
      whenReady(this.cache),
    ]);
  }
}

/** Waits for a connection at boot, bounded: a hub started while Redis is down still starts (and says 503). */
function whenReady(client: Redis, timeoutMs = 10_000): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    client.once('ready', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
