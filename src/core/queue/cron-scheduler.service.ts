import { InjectQueue } from '@nestjs/bull';
import {
  Injectable,
  Logger,
  NotFoundException,
  BadRequestException,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { SchedulerRegistry } from '@nestjs/schedule';
import type { Job, Queue } from 'bull';
import { CronJob } from 'cron';
import { randomUUID } from 'node:crypto';
import { AppConfig } from '../../config/app-config.js';
import { STEP_CATALOG, stepsOf } from '../steps/step.decorator.js';
import { runWithTrace } from '../trace/trace-context.js';
import { processingStopped } from './processing-stopped.js';
import { CRON_QUEUE } from './topic.js';

/** A cron step's method: the tick only enqueues or does cheap work. */
type CronTick = (tickTime: Date, traceId: string) => Promise<unknown>;

interface CronJobData {
  traceId: string;
  tickTime: string;
  manual: boolean;
}

/**
 * Cron steps: each tick enqueues a job whose id is the step plus the tick time, so
 * with several instances on one Redis the tick runs once (Bull drops the other
 * instances' adds of the same id; completed tick jobs are kept for a day so a late
 * instance cannot add it again).
 */
@Injectable()
export class CronScheduler implements OnApplicationBootstrap {
  private readonly logger = new Logger('CronScheduler');

  constructor(
    @InjectQueue(CRON_QUEUE) private readonly queue: Queue<CronJobData>,
    private readonly discovery: DiscoveryService,
    private readonly scheduler: SchedulerRegistry,
    private readonly config: AppConfig,
  ) {}

  get cronQueue(): Queue {
    return this.queue;
  }

  onApplicationBootstrap(): void {
    if (!this.config.runsWorkers) return;
    const instances = new Map<string, CronTick>();
    for (const w of this.discovery.getProviders()) {
      if (!w.metatype || !w.instance) continue;
      const instance = w.instance as Record<string, unknown>;
      for (const e of stepsOf(w.metatype)) {
        if (e.definition.trigger.type !== 'cron') continue;
        const method = instance[e.method] as CronTick;
        instances.set(e.functionId, (tickTime, traceId) =>
          method.call(instance, tickTime, traceId),
        );
      }
    }
    for (const entry of STEP_CATALOG) {
      const t = entry.definition.trigger;
      if (t.type !== 'cron') continue;
      const step = instances.get(entry.functionId);
      if (!step)
        throw new Error(
          `cron step "${entry.definition.name}" is declared but not provided by any module`,
        );
      const job = CronJob.from({
        cronTime: t.expression(this.config),
        onTick: () => void this.enqueueTick(entry.functionId, floorToSecond(new Date()), false),
        start: true,
        timeZone: 'Europe/Berlin',
      });
      this.scheduler.addCronJob(entry.functionId, job as never);
    }
    this.queue
      .process('*', 2, (job: Job<CronJobData>) => {
        const step = instances.get(job.name);
        if (!step) throw new Error(`no cron step ${job.name}`);
        return runWithTrace(job.data.traceId, () =>
          step(new Date(job.data.tickTime), job.data.traceId),
        );
      })
      .catch(processingStopped(this.logger, CRON_QUEUE));
  }

  /** `POST /_console/cron/trigger`: runs a cron step now, on whichever worker takes it. */
  async trigger(
    functionId: string,
  ): Promise<{ status: 'triggered'; function_id: string; job_id: string }> {
    const entry = STEP_CATALOG.find((e) => e.functionId === functionId);
    if (!entry) throw new NotFoundException(`unknown function_id ${functionId}`);
    if (entry.definition.trigger.type !== 'cron')
      throw new BadRequestException(`${functionId} is not a cron step`);
    const jobId = await this.enqueueTick(functionId, new Date(), true);
    return { status: 'triggered', function_id: functionId, job_id: jobId };
  }

  private async enqueueTick(functionId: string, tick: Date, manual: boolean): Promise<string> {
    const jobId = manual
      ? `${functionId}@manual:${randomUUID()}`
      : `${functionId}@${tick.toISOString()}`;
    const traceId = manual ? `manual-${randomUUID()}` : `cron-${functionId}-${tick.toISOString()}`;
    try {
      await this.queue.add(
        functionId,
        { traceId, tickTime: tick.toISOString(), manual },
        {
          jobId,
          attempts: 1,
          removeOnComplete: { age: 86_400 },
          removeOnFail: { age: 7 * 86_400 },
        },
      );
    } catch (err) {
      this.logger.error(`could not enqueue tick ${jobId}: ${(err as Error).message}`);
      if (manual) throw err;
    }
    return jobId;
  }
}

function floorToSecond(d: Date): Date {
  return new Date(Math.floor(d.getTime() / 1000) * 1000);
}
