import {
  Body,
  Controller,
  HttpCode,
  Injectable,
  Module,
  Post,
  Req,
  UseGuards,
} from '@nestjs/common';
import type { Request } from 'express';
import { AppConfig } from '../../src/config/app-config.js';
import {
  OnFinalFailure,
  Process,
  Processor,
  entityLock,
} from '../../src/core/queue/processor.decorator.js';
import { registerTopicQueues } from '../../src/core/queue/queue-names.js';
import { defineTopic, type EntityEvent } from '../../src/core/queue/topic.js';
import { Step, cron, http } from '../../src/core/steps/step.decorator.js';
import { requestTraceId } from '../../src/core/trace/trace.middleware.js';
import { EspoWebhookGuard } from '../../src/core/webhook/espo-webhook.guard.js';
import { WebhookIntake } from '../../src/core/webhook/webhook-intake.service.js';

/**
 * A probe step for the foundation's tests: the real worker, lock, intake and cron,
 * with a handler that records what it saw. `version` is the entity's change
 * counter: a test bumps it before sending an event, a run records it at its start,
 * so "no event lost" means the last run saw the last version.
 */
export const ProbeQueue = 'probe-entity';
export const ProbeTopics = {
  Touch: defineTopic<EntityEvent>('probe.entity.touch', { queue: ProbeQueue }),
  /** A second job name on the same queue, as the domain modules have (create/update/delete). */
  Poke: defineTopic<EntityEvent>('probe.entity.poke', { queue: ProbeQueue }),
};

/** The step added the way the README's "Adding a step" says (console e2e), on its own queue. */
export const ProbeArchiveQueue = 'probe-archive';
export const ProbeArchiveTopics = {
  Archive: defineTopic<EntityEvent>('probe.archive.entity', { queue: ProbeArchiveQueue }),
};
export const ProbeLock = entityLock('probe_sync', 'Probe');

export interface ProbeRun {
  entityId: string;
  start: number;
  end: number;
  versionSeen: number;
  /** APP_ROLE of the instance that ran it (tests start several in one process). */
  role: string;
}

export const probe = {
  runs: [] as ProbeRun[],
  archived: [] as Array<EntityEvent & { archived: boolean }>,
  finalFailures: [] as Array<{ entityId: string; error: string }>,
  ticks: [] as Array<{ tickTime: string; at: number }>,
  version: new Map<string, number>(),
  workMs: 50,
  failNext: 0,
  reset() {
    this.runs = [];
    this.archived = [];
    this.finalFailures = [];
    this.ticks = [];
    this.version.clear();
    this.workMs = 50;
    this.failNext = 0;
  },
  bump(entityId: string) {
    this.version.set(entityId, (this.version.get(entityId) ?? 0) + 1);
  },
};

@Processor(ProbeQueue)
export class ProbeProcessor {
  constructor(private readonly config: AppConfig) {}

  @Step({ name: 'Probe Entity Sync', description: 'test probe', flows: ['probe'] })
  @Process(ProbeTopics.Touch, { lock: ProbeLock })
  @Process(ProbeTopics.Poke, { lock: ProbeLock })
  async touch(e: EntityEvent): Promise<void> {
    const start = Date.now();
    const versionSeen = probe.version.get(e.entityId) ?? 0;
    await new Promise((r) => setTimeout(r, probe.workMs));
    if (probe.failNext > 0) {
      probe.failNext -= 1;
      throw Object.assign(new Error('probe transient failure'), { code: 'ECONNRESET' });
    }
    probe.runs.push({
      entityId: e.entityId,
      start,
      end: Date.now(),
      versionSeen,
      role: this.config.role,
    });
  }
}

@Processor(ProbeArchiveQueue)
export class ProbeArchiveProcessor {
  @Step({
    name: 'Probe Entity Archive',
    description: 'test: a step added',
    flows: ['probe-archive'],
  })
  @Process(ProbeArchiveTopics.Archive, {
    lock: ProbeLock,
    payload: (e) => ({ ...e, archived: true }),
  })
  async archive(e: EntityEvent & { archived: boolean }): Promise<void> {
    if (probe.failNext > 0) {
      probe.failNext -= 1;
      throw Object.assign(new Error('probe archive failure'), { code: 'ECONNRESET' });
    }
    probe.archived.push(e);
  }

  @OnFinalFailure(ProbeArchiveTopics.Archive)
  async recordFailure(e: EntityEvent, error: unknown): Promise<void> {
    probe.finalFailures.push({ entityId: e.entityId, error: (error as Error).message });
  }
}

@Injectable()
export class ProbeCron {
  @Step({
    name: 'Probe Tick',
    description: 'test cron',
    flows: ['probe'],
    trigger: cron(() => '*/1 * * * * *'),
  })
  async tick(tickTime: Date): Promise<void> {
    probe.ticks.push({ tickTime: tickTime.toISOString(), at: Date.now() });
  }
}

@UseGuards(EspoWebhookGuard)
@Controller('probe')
export class ProbeController {
  constructor(private readonly intake: WebhookIntake) {}

  @Step({
    name: 'Probe Webhook',
    description: 'test webhook',
    flows: ['probe'],
    trigger: http('POST', '/probe/webhook'),
    enqueues: [ProbeTopics.Touch],
  })
  @Post('webhook')
  @HttpCode(200)
  receive(@Body() body: unknown, @Req() req: Request) {
    return this.intake.acceptEntityEvents(ProbeTopics.Touch, body, requestTraceId(req));
  }
}

@Module({
  imports: [registerTopicQueues(ProbeTopics.Touch, ProbeTopics.Poke, ProbeArchiveTopics.Archive)],
  controllers: [ProbeController],
  providers: [ProbeProcessor, ProbeArchiveProcessor, ProbeCron],
})
export class ProbeModule {}
