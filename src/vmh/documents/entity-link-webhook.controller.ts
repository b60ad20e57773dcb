import { Body, Controller, HttpCode, Post, Req, UseGuards } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { Step, http } from '../../core/steps/step.decorator.js';
import { requestTraceId } from '../../core/trace/trace.middleware.js';
import { EspoWebhookGuard } from '../../core/webhook/espo-webhook.guard.js';
import type { WebhookAnswer } from '../../core/webhook/webhook-intake.service.js';
import { CollectionTopics } from '../../xai/xai.jobs.js';
import { DocumentTopics } from './document.jobs.js';
import { EntityLinkIntake } from './entity-link-intake.service.js';

const EXAMPLE = [
  {
    entityType: 'CVmhRaeumungsklage',
    entityId: '6650f1a2b3c4d5e6f',
    foreignType: 'CDokumente',
    foreignId: '6650f1a2b3c4d5e70',
  },
];
const BODY = {
  schema: {
    type: 'array',
    items: {
      type: 'object',
      required: ['entityType', 'entityId', 'foreignType', 'foreignId'],
      properties: {
        entityType: { type: 'string' },
        entityId: { type: 'string' },
        foreignType: { type: 'string' },
        foreignId: { type: 'string' },
      },
    },
    example: EXAMPLE,
  },
};

@ApiTags('vmh-documents')
@UseGuards(EspoWebhookGuard)
@Controller('vmh/webhook/entity')
export class EntityLinkWebhookController {
  constructor(private readonly links: EntityLinkIntake) {}

  @Step({
    name: 'VMH Webhook Entity Link',
    description:
      'A document was linked to an entity: ensure the entity collection, sync the document',
    flows: ['vmh-documents'],
    trigger: http('POST', '/vmh/webhook/entity/link'),
    enqueues: [CollectionTopics.Ensure, DocumentTopics.Update],
  })
  @Post('link')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Entity ↔ CDokumente linked → xai.collection.ensure + vmh.document.update',
  })
  @ApiBody(BODY)
  link(@Body() body: unknown, @Req() req: Request): Promise<WebhookAnswer> {
    return this.links.accept('link', body, requestTraceId(req));
  }

  @Step({
    name: 'VMH Webhook Entity Unlink',
    description:
      'A document was unlinked from an entity: the document leaves that collection (the file stays)',
    flows: ['vmh-documents'],
    trigger: http('POST', '/vmh/webhook/entity/unlink'),
    enqueues: [CollectionTopics.Ensure, DocumentTopics.Update],
  })
  @Post('unlink')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Entity ↔ CDokumente unlinked → xai.collection.ensure + vmh.document.update',
  })
  @ApiBody(BODY)
  unlink(@Body() body: unknown, @Req() req: Request): Promise<WebhookAnswer> {
    return this.links.accept('unlink', body, requestTraceId(req));
  }
}
