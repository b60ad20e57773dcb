import { Body, Controller, HttpCode, Post, Req, UseGuards } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { Step, http } from '../../core/steps/step.decorator.js';
import { requestTraceId } from '../../core/trace/trace.middleware.js';
import { EspoWebhookGuard } from '../../core/webhook/espo-webhook.guard.js';
import { WebhookIntake, type WebhookAnswer } from '../../core/webhook/webhook-intake.service.js';
import { DocumentTopics } from './document.jobs.js';

const EXAMPLE = [{ id: '6650f1a2b3c4d5e6f' }];

@ApiTags('vmh-documents')
@UseGuards(EspoWebhookGuard)
@Controller('vmh/webhook/document')
export class DocumentWebhookController {
  constructor(private readonly intake: WebhookIntake) {}

  @Step({
    name: 'VMH Webhook Document Create',
    description: 'EspoCRM CDokumente create webhook',
    flows: ['vmh-documents'],
    trigger: http('POST', '/vmh/webhook/document/create'),
    enqueues: [DocumentTopics.Create],
  })
  @Post('create')
  @HttpCode(200)
  @ApiOperation({ summary: 'CDokumente created in EspoCRM → vmh.document.create' })
  @ApiBody({ schema: { type: 'array', items: { type: 'object' }, example: EXAMPLE } })
  create(@Body() body: unknown, @Req() req: Request): Promise<WebhookAnswer> {
    return this.intake.acceptEntityEvents(DocumentTopics.Create, body, requestTraceId(req));
  }

  @Step({
    name: 'VMH Webhook Document Update',
    description: 'EspoCRM CDokumente update webhook',
    flows: ['vmh-documents'],
    trigger: http('POST', '/vmh/webhook/document/update'),
    enqueues: [DocumentTopics.Update],
  })
  @Post('update')
  @HttpCode(200)
  @ApiOperation({ summary: 'CDokumente changed in EspoCRM → vmh.document.update' })
  @ApiBody({ schema: { type: 'array', items: { type: 'object' }, example: EXAMPLE } })
  update(@Body() body: unknown, @Req() req: Request): Promise<WebhookAnswer> {
    return this.intake.acceptEntityEvents(DocumentTopics.Update, body, requestTraceId(req));
  }

  @Step({
    name: 'VMH Webhook Document Delete',
    description: 'EspoCRM CDokumente delete webhook',
    flows: ['vmh-documents'],
    trigger: http('POST', '/vmh/webhook/document/delete'),
    enqueues: [DocumentTopics.Delete],
  })
  @Post('delete')
  @HttpCode(200)
  @ApiOperation({ summary: 'CDokumente deleted in EspoCRM → vmh.document.delete' })
  @ApiBody({ schema: { type: 'array', items: { type: 'object' }, example: EXAMPLE } })
  remove(@Body() body: unknown, @Req() req: Request): Promise<WebhookAnswer> {
    return this.intake.acceptEntityEvents(DocumentTopics.Delete, body, requestTraceId(req));
  }
}
