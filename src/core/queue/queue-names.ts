import { BullModule } from '@nestjs/bull';
import type { DynamicModule } from '@nestjs/common';
import { CRON_QUEUE, type Topic } from './topic.js';

/** Every queue some module registered; the app waits for each to be ready at boot. */
export const REGISTERED_QUEUES = new Set<string>([CRON_QUEUE]);

/** Registers the Bull queues behind these topics (one per family). */
export function registerTopicQueues(...topics: Topic[]): DynamicModule {
  const names = [...new Set(topics.map((t) => t.queue))];
  names.forEach((n) => REGISTERED_QUEUES.add(n));
  return BullModule.registerQueue(...names.map((name) => ({ name })));
}
