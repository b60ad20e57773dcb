import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import type { Redis } from 'ioredis';
import { AppConfig } from '../../config/app-config.js';
import { EntityLock } from '../lock/entity-lock.service.js';
import { CronScheduler } from '../queue/cron-scheduler.service.js';
import { StepWorker } from '../queue/step-worker.service.js';
import { BULL_CLIENTS } from '../queue/queue.module.js';

/**
 * The shutdown order (after novu): stop crons → stop taking jobs → let active
 * jobs finish (bounded) → wait for held locks → then Nest closes queues, and the
 * shared Bull connections close last.
 */
@Injectable()
export class ShutdownService implements BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger('Shutdown');

  constructor(
    private readonly config: AppConfig,
    private readonly scheduler: SchedulerRegistry,
    private readonly worker: StepWorker,
    private readonly cron: CronScheduler,
    private readonly lock: EntityLock,
    @Inject(BULL_CLIENTS) private readonly bullClients: Set<Redis>,
  ) {}

  async beforeApplicationShutdown(signal?: string): Promise<void> {
    const started = Date.now();
    for (const job of this.scheduler.getCronJobs().values()) void job.stop();
    const queues = [
      ...this.worker.activeQueues,
      ...(this.config.runsWorkers ? [this.cron.cronQueue] : []),
    ];
    const drained = await Promise.race([
      Promise.allSettled(queues.map((q) => q.pause(true, false))).then(() => true),
      sleep(this.config.shutdownDrainMs).then(() => false),
    ]);
    const left = Math.max(1000, this.config.shutdownDrainMs - (Date.now() - started));
    const released = await this.lock.waitForRelease(left);
    this.logger.log(
      `shutdown${signal ? ` on ${signal}` : ''}: ${drained ? 'active jobs finished' : 'drain timed out'}, ` +
        `${released ? 'no locks held' : `${this.lock.heldCount} locks still held (their TTL frees them)`}`,
    );
  }

  async onApplicationShutdown(): Promise<void> {
    // After @nestjs/bull closed the queues: the connections we shared among them.
    await Promise.allSettled([...this.bullClients].map((c) => c.quit()));
    for (const c of this.bullClients) c.disconnect();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
