import { BadRequestException, Injectable, ServiceUnavailableException } from '@nestjs/common';
import { AppConfig } from '../../config/app-config.js';
import { JobProducer, QueueUnavailableError } from '../queue/job-producer.service.js';
import type { EntityEvent, Topic } from '../queue/topic.js';
import { parseEspoWebhookBody } from './espo-webhook-body.js';

/** The answer shape EspoCRM's old receiver gave (DOMAIN.md, "Webhook answers"). */
export interface WebhookAnswer {
  status: 'received';
  action: string;
  new_ids_count: number;
  total_ids_in_batch: number;
}

/**
 * The intake contract every webhook uses: 400 with the reason for a body that can
 * never succeed, 2xx only once the jobs are in Redis, 503 when Redis cannot take
 * them (EspoCRM retries 503; it drops 429 and 502 for good).
 */
@Injectable()
export class WebhookIntake {
  constructor(
    private readonly producer: JobProducer,
    private readonly config: AppConfig,
  ) {}

  async acceptEntityEvents(
    topic: Topic<EntityEvent>,
    body: unknown,
    traceId: string,
  ): Promise<WebhookAnswer> {
    const parsed = parseEspoWebhookBody(body);
    if (!parsed.ok) throw new BadRequestException(parsed.reason);
    const result = await this.enqueue(
      topic,
      parsed.ids.map((entityId) => ({ entityId, traceId })),
    );
    return {
      status: 'received',
      action: topic.name,
      new_ids_count: result.enqueued,
      total_ids_in_batch: parsed.total,
    };
  }

  /** Coalesces per entity: events for an entity whose job still waits add nothing. */
  async enqueue(topic: Topic<EntityEvent>, events: EntityEvent[]) {
    try {
      return await this.producer.enqueue(topic, events, {
        coalesceBy: (e) => e.entityId,
        delayMs: this.config.queue.debounceMs,
      });
    } catch (err) {
      if (err instanceof QueueUnavailableError) {
        throw new ServiceUnavailableException('queue unavailable, retry later');
      }
      throw err;
    }
  }
}
