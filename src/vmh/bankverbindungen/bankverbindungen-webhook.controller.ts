import { Body, Controller, HttpCode, Post, Req, UseGuards } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { Step, http } from '../../core/steps/step.decorator.js';
import { requestTraceId } from '../../core/trace/trace.middleware.js';
import { EspoWebhookGuard } from '../../core/webhook/espo-webhook.guard.js';
import { WebhookIntake, type WebhookAnswer } from '../../core/webhook/webhook-intake.service.js';
import { BankverbindungenTopics } from './bankverbindungen.jobs.js';

const EXAMPLE = [{ id: '6650f1a2b3c4d5e6f' }];
const BODY = ApiBody({ schema: { type: 'array', items: { type: 'object' }, example: EXAMPLE } });

@ApiTags('vmh-bankverbindungen')
@UseGuards(EspoWebhookGuard)
@Controller('vmh/webhook/bankverbindungen')
export class BankverbindungenWebhookController {
  constructor(private readonly intake: WebhookIntake) {}

  @Step({
    name: 'VMH Webhook Bankverbindungen Create',
    description: 'EspoCRM CBankverbindungen create webhook',
    flows: ['vmh-bankverbindungen'],
    trigger: http('POST', '/vmh/webhook/bankverbindungen/create'),
    enqueues: [BankverbindungenTopics.Create],
  })
  @Post('create')
  @HttpCode(200)
  @ApiOperation({ summary: 'CBankverbindungen created in EspoCRM → vmh.bankverbindungen.create' })
  @BODY
  create(@Body() body: unknown, @Req() req: Request): Promise<WebhookAnswer> {
    return this.intake.acceptEntityEvents(BankverbindungenTopics.Create, body, requestTraceId(req));
  }

  @Step({
    name: 'VMH Webhook Bankverbindungen Update',
    description: 'EspoCRM CBankverbindungen update webhook',
    flows: ['vmh-bankverbindungen'],
    trigger: http('POST', '/vmh/webhook/bankverbindungen/update'),
    enqueues: [BankverbindungenTopics.Update],
  })
  @Post('update')
  @HttpCode(200)
  @ApiOperation({ summary: 'CBankverbindungen changed in EspoCRM → vmh.bankverbindungen.update' })
  @BODY
  update(@Body() body: unknown, @Req() req: Request): Promise<WebhookAnswer> {
    return this.intake.acceptEntityEvents(BankverbindungenTopics.Update, body, requestTraceId(req));
  }

  @Step({
    name: 'VMH Webhook Bankverbindungen Delete',
    description: 'EspoCRM CBankverbindungen delete webhook',
    flows: ['vmh-bankverbindungen'],
    trigger: http('POST', '/vmh/webhook/bankverbindungen/delete'),
    enqueues: [BankverbindungenTopics.Delete],
  })
  @Post('delete')
  @HttpCode(200)
  @ApiOperation({ summary: 'CBankverbindungen deleted in EspoCRM → vmh.bankverbindungen.delete' })
  @BODY
  remove(@Body() body: unknown, @Req() req: Request): Promise<WebhookAnswer> {
    return this.intake.acceptEntityEvents(BankverbindungenTopics.Delete, body, requestTraceId(req));
  }
}
