import { Body, Controller, HttpCode, Module, Post, UseGuards } from '@nestjs/common';
import { BadRequestException } from '@nestjs/common';
import { parseEspoWebhookBody } from '../src/core/webhook/espo-webhook-body.js';
import { EspoWebhookGuard } from '../src/core/webhook/espo-webhook.guard.js';
import type { WebhookAnswer } from '../src/core/webhook/webhook-intake.service.js';

/**
 * The intake's second baseline: the same app, middleware, guard, body parsing and
 * answer as a webhook route, minus Redis. Intake ÷ bare is what enqueueing costs.
 *
 * Its path ends in `webhook/document/update`, so the guard names it `document.update`
 * (webhookRouteName) and the benchmark's webhook, bound to that route, may call it
 * signed, like the intake; the metrics count it as a webhook route too. A name of its
 * own (`bench.bare`) is not possible: bindings accept only ESPO_WEBHOOK_ROUTES.
 */
@UseGuards(EspoWebhookGuard)
@Controller('bench/webhook')
export class BareWebhookController {
  @Post('document/update')
  @HttpCode(200)
  receive(@Body() body: unknown): WebhookAnswer {
    const parsed = parseEspoWebhookBody(body);
    if (!parsed.ok) throw new BadRequestException(parsed.reason);
    return {
      status: 'received',
      action: 'bench.bare',
      new_ids_count: parsed.ids.length,
      total_ids_in_batch: parsed.total,
    };
  }
}

/** Passed to `createApp` as an extra module by the benchmark's hub process only. */
@Module({ controllers: [BareWebhookController] })
export class BenchModule {}
