import {
  BadRequestException,
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  NotFoundException,
  Param,
  Post,
  Query,
  Req,
  UseGuards,
} from '@nestjs/common';
import { ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { OpsApiKeyGuard } from '../core/auth/ops-api-key.guard.js';
import { CronScheduler } from '../core/queue/cron-scheduler.service.js';
import { JobProducer } from '../core/queue/job-producer.service.js';
import { StepRegistry } from '../core/steps/step-registry.service.js';
import { requestTraceId } from '../core/trace/trace.middleware.js';
import { CronTriggerDto, InvokeDto } from './console.dto.js';
import { resolveCronFunctionId } from './cron-alias.js';
import { EntityStatusService } from './entity-status.service.js';
import { QueueConsoleService } from './queue-console.service.js';

@ApiTags('console')
@ApiSecurity('ops-key')
@UseGuards(OpsApiKeyGuard)
@Controller('_console')
export class ConsoleController {
  constructor(
    private readonly registry: StepRegistry,
    private readonly cron: CronScheduler,
    private readonly producer: JobProducer,
    private readonly queues: QueueConsoleService,
    private readonly entities: EntityStatusService,
  ) {}

  @Get('functions')
  @ApiOperation({
    summary: 'Every step: trigger (http, queue, cron), flows and the topics it enqueues',
  })
  functions() {
    return { functions: this.registry.list() };
  }

  @Post('cron/trigger')
  @HttpCode(202)
  @ApiOperation({ summary: 'Run a cron step now (on whichever worker takes the job)' })
  async trigger(@Body() body: CronTriggerDto) {
    const resolved = resolveCronFunctionId(
      body.function_id,
      this.registry.entries().map((e) => ({ functionId: e.functionId, name: e.definition.name })),
    );
    if (resolved.kind === 'unknown') throw new NotFoundException(resolved.message);
    const answer = await this.cron.trigger(resolved.functionId);
    return resolved.kind === 'alias' ? { ...answer, alias_of: body.function_id } : answer;
  }

  @Post('invoke')
  @HttpCode(202)
  @ApiOperation({ summary: 'Enqueue a job for a queue step by hand (manual testing, repairs)' })
  async invoke(@Body() body: InvokeDto, @Req() req: Request) {
    const entry = this.registry.find(body.function_id);
    if (!entry) throw new NotFoundException(`unknown function_id ${body.function_id}`);
    const trigger = entry.definition.trigger;
    if (trigger.type !== 'queue')
      throw new BadRequestException(`${body.function_id} is not a queue step`);
    const topic = body.topic
      ? trigger.topics.find((t) => t.name === body.topic)
      : trigger.topics[0];
    if (!topic) throw new BadRequestException(`${body.function_id} does not process ${body.topic}`);
    const problem = topic.validate(body.data);
    if (problem) throw new BadRequestException(problem);
    const traceId = requestTraceId(req);
    await this.producer.enqueue(topic, [{ ...body.data, traceId, manual: true }]);
    return { status: 'enqueued', topic: topic.name, traceId };
  }

  @Get('queues')
  @ApiOperation({ summary: 'Job counts per queue and state, and whether it is paused' })
  async queueSummaries() {
    return { queues: await this.queues.summaries() };
  }

  @Post('queues/:queue/pause')
  @ApiOperation({ summary: 'Pause a queue on every worker' })
  pause(@Param('queue') queue: string) {
    return this.queues.pause(queue);
  }

  @Post('queues/:queue/resume')
  @ApiOperation({ summary: 'Resume a paused queue' })
  resume(@Param('queue') queue: string) {
    return this.queues.resume(queue);
  }

  @Get('queues/:queue/failed')
  @ApiOperation({
    summary: 'The dead letters: failed jobs with data, error, attempts and trace id',
  })
  async failed(@Param('queue') queue: string, @Query('limit') limit?: string) {
    const n = Math.min(Math.max(Number(limit) || 50, 1), 500);
    return { jobs: await this.queues.failed(queue, 0, n - 1) };
  }

  @Post('queues/:queue/failed/retry')
  @ApiOperation({ summary: 'Retry every failed job of a queue' })
  retryAll(@Param('queue') queue: string) {
    return this.queues.retryAll(queue);
  }

  @Post('queues/:queue/jobs/:id/retry')
  @ApiOperation({ summary: 'Retry one failed job' })
  retry(@Param('queue') queue: string, @Param('id') id: string) {
    return this.queues.retry(queue, id);
  }

  @Delete('queues/:queue/jobs/:id')
  @ApiOperation({ summary: 'Remove a job (e.g. a dead letter that must not run again)' })
  remove(@Param('queue') queue: string, @Param('id') id: string) {
    return this.queues.remove(queue, id);
  }

  @Get('sync/:entityType/:id')
  @ApiOperation({
    summary: 'Why is this entity not in sync? Sync fields, references, locks, jobs, last errors',
  })
  sync(@Param('entityType') entityType: string, @Param('id') id: string) {
    if (!/^[A-Za-z][A-Za-z0-9]{0,63}$/.test(entityType) || !/^[A-Za-z0-9_-]{1,64}$/.test(id)) {
      throw new BadRequestException('entityType and id must be EspoCRM names');
    }
    return this.entities.status(entityType, id);
  }
}
