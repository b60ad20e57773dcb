import {
  Body,
  ConflictException,
  Controller,
  HttpCode,
  Post,
  Req,
  UseGuards,
} from '@nestjs/common';
import { ApiBody, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { AppConfig } from '../config/app-config.js';
import { OpsApiKeyGuard } from '../core/auth/ops-api-key.guard.js';
import { Step, http } from '../core/steps/step.decorator.js';
import { requestTraceId } from '../core/trace/trace.middleware.js';
import { CalendarTopics } from './calendar.jobs.js';
import { CalendarSyncRequestDto } from './calendar-sync.dto.js';
import { CalendarSyncService, type TriggerResult } from './calendar-sync.service.js';

@ApiTags('calendar')
@ApiSecurity('ops-key')
@UseGuards(OpsApiKeyGuard)
@Controller('advoware/calendar')
export class CalendarSyncController {
  constructor(
    private readonly config: AppConfig,
    private readonly sync: CalendarSyncService,
  ) {}

  @Step({
    name: 'Calendar Sync Trigger',
    description: 'Manual calendar sync for one employee or ALL',
    flows: ['calendar-sync'],
    trigger: http('POST', '/advoware/calendar/sync'),
    enqueues: [CalendarTopics.SyncEmployee],
  })
  @Post('sync')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Enqueue calendar sync jobs (kuerzel defaults to ALL, full_content to true); answers {status: "triggered", kuerzel, jobs}',
  })
  @ApiBody({
    type: CalendarSyncRequestDto,
    examples: { all: { value: { kuerzel: 'ALL', full_content: true } } },
  })
  trigger(@Body() body: CalendarSyncRequestDto, @Req() req: Request): Promise<TriggerResult> {
    if (!this.config.calendar.enabled)
      throw new ConflictException('calendar sync is disabled (CALENDAR_SYNC_ENABLED=false)');
    // Express leaves the body undefined when none was sent.
    return this.sync.trigger(
      body?.kuerzel ?? 'ALL',
      body?.full_content ?? true,
      requestTraceId(req),
    );
  }
}
