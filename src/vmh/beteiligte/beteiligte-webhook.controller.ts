import { Body, Controller, HttpCode, Post, Req, UseGuards } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { Step, http } from '../../core/steps/step.decorator.js';
import { requestTraceId } from '../../core/trace/trace.middleware.js';
import { EspoWebhookGuard } from '../../core/webhook/espo-webhook.guard.js';
import { WebhookIntake } from '../../core/webhook/webhook-intake.service.js';
import { BeteiligteTopics } from './beteiligte.jobs.js';

const EXAMPLE = [{ id: '67a1b2c3d4e5f6a7b' }, { id: '67a1b2c3d4e5f6a7c' }];
const ANSWER = {
  example: {
    status: 'received',
    action: 'vmh.beteiligte.update',
    new_ids_count: 2,
    total_ids_in_batch: 2,
  },
};
const BODY = ApiBody({
  schema: { type: 'array', items: { type: 'object' } },
  examples: { batch: { value: EXAMPLE } },
});

@ApiTags('vmh')
@UseGuards(EspoWebhookGuard)
@Controller('vmh/webhook/beteiligte')
export class BeteiligteWebhookController {
  constructor(private readonly intake: WebhookIntake) {}

  @Step({
    name: 'VMH Webhook Beteiligte Create',
    description: 'EspoCRM webhook: CBeteiligte created',
    flows: ['vmh-beteiligte'],
    trigger: http('POST', '/vmh/webhook/beteiligte/create'),
    enqueues: [BeteiligteTopics.Create],
  })
  @Post('create')
  @HttpCode(200)
  @ApiOperation({ summary: 'CBeteiligte created in EspoCRM: one sync job per id' })
  @BODY
  @ApiOkResponse(ANSWER)
  create(@Body() body: unknown, @Req() req: Request) {
    return this.intake.acceptEntityEvents(BeteiligteTopics.Create, body, requestTraceId(req));
  }

  @Step({
    name: 'VMH Webhook Beteiligte Update',
    description: 'EspoCRM webhook: CBeteiligte updated',
    flows: ['vmh-beteiligte'],
    trigger: http('POST', '/vmh/webhook/beteiligte/update'),
    enqueues: [BeteiligteTopics.Update],
  })
  @Post('update')
  @HttpCode(200)
  @ApiOperation({ summary: 'CBeteiligte changed in EspoCRM: one sync job per id' })
  @BODY
  @ApiOkResponse(ANSWER)
  update(@Body() body: unknown, @Req() req: Request) {
    return this.intake.acceptEntityEvents(BeteiligteTopics.Update, body, requestTraceId(req));
  }

  @Step({
    name: 'VMH Webhook Beteiligte Delete',
    description:
      'EspoCRM webhook: CBeteiligte deleted (Advoware keeps the party; a person is notified)',
    flows: ['vmh-beteiligte'],
    trigger: http('POST', '/vmh/webhook/beteiligte/delete'),
    enqueues: [BeteiligteTopics.Delete],
  })
  @Post('delete')
  @HttpCode(200)
  @ApiOperation({ summary: 'CBeteiligte deleted in EspoCRM: notify, never delete in Advoware' })
  @BODY
  @ApiOkResponse(ANSWER)
  remove(@Body() body: unknown, @Req() req: Request) {
    return this.intake.acceptEntityEvents(BeteiligteTopics.Delete, body, requestTraceId(req));
  }
}
