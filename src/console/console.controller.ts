import { Body, Controller, Get, HttpCode, Post, UseGuards } from '@nestjs/common';
import { ApiHeader, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { OpsApiKeyGuard } from '../core/auth/ops-api-key.guard.js';
import { CronScheduler } from '../core/queue/cron-scheduler.service.js';
import { StepRegistry } from '../core/steps/step-registry.service.js';
import { CronTriggerDto } from './console.dto.js';

@ApiTags('console')
@ApiSecurity('ops-key')
@ApiHeader({ name: 'X-Api-Key', description: 'OPS_API_KEY', required: true })
@UseGuards(OpsApiKeyGuard)
@Controller('_console')
export class ConsoleController {
  constructor(
    private readonly registry: StepRegistry,
    private readonly cron: CronScheduler,
  ) {}

  @Get('functions')
  @ApiOperation({ summary: 'Every step: trigger (http, queue, cron), flows and the topics it enqueues' })
  functions() {
    return { functions: this.registry.list() };
  }

  @Post('cron/trigger')
  @HttpCode(202)
  @ApiOperation({ summary: 'Run a cron step now (on whichever worker takes the job)' })
  trigger(@Body() body: CronTriggerDto) {
    return this.cron.trigger(body.function_id);
  }
}
