import { beforeEach, describe, expect, it } from '@jest/globals';
import { BadRequestException, ServiceUnavailableException } from '@nestjs/common';
import { newTestService, type Mocks } from '../../../test/support/new-test-service.js';
import { testConfig } from '../../../test/support/test-env.js';
import { BeteiligteTopics } from '../../vmh/beteiligte/beteiligte.jobs.js';
import { JobProducer, QueueUnavailableError } from '../queue/job-producer.service.js';
import { WebhookIntake } from './webhook-intake.service.js';

const DEPS = { producer: JobProducer };

describe('WebhookIntake', () => {
  const config = testConfig({}, { WEBHOOK_DEBOUNCE_MS: '1500' });
  let sut: WebhookIntake;
  let mocks: Mocks<typeof DEPS>;

  beforeEach(async () => {
    ({ sut, mocks } = await newTestService(WebhookIntake, DEPS, { config }));
    mocks.producer.enqueue.mockResolvedValue({ enqueued: 1, coalesced: 1 });
  });

  it('enqueues one job per distinct id, coalesced per entity and debounced, and answers in the old shape', async () => {
    const answer = await sut.acceptEntityEvents(
      BeteiligteTopics.Update,
      [{ id: 'a' }, { id: 'b' }, { id: 'a' }],
      'trace-1',
    );

    expect(mocks.producer.enqueue).toHaveBeenCalledTimes(1);
    const [topic, events, options] = mocks.producer.enqueue.mock.calls[0];
    expect(topic).toBe(BeteiligteTopics.Update);
    expect(events).toEqual([
      { entityId: 'a', traceId: 'trace-1' },
      { entityId: 'b', traceId: 'trace-1' },
    ]);
    expect(options?.delayMs).toBe(1500);
    // One waiting job per entity: the coalescing key is the entity id.
    const coalesceBy = options?.coalesceBy as ((e: { entityId: string }) => string) | undefined;
    expect(coalesceBy?.({ entityId: 'a' })).toBe('a');
    expect(answer).toEqual({
      status: 'received',
      action: BeteiligteTopics.Update.name,
      new_ids_count: 1,
      total_ids_in_batch: 3,
    });
  });

  it('answers 400 with the reason to a body that can never succeed, enqueuing nothing', async () => {
    const refused = sut.acceptEntityEvents(BeteiligteTopics.Update, { id: 'a' }, 'trace-1');

    await expect(refused).rejects.toBeInstanceOf(BadRequestException);
    await expect(refused).rejects.toThrow('JSON array');
    expect(mocks.producer.enqueue).not.toHaveBeenCalled();
  });

  it('answers 503 when Redis cannot take the jobs, so EspoCRM sends the batch again', async () => {
    mocks.producer.enqueue.mockRejectedValue(new QueueUnavailableError('redis down'));

    await expect(
      sut.acceptEntityEvents(BeteiligteTopics.Update, [{ id: 'a' }], 'trace-1'),
    ).rejects.toBeInstanceOf(ServiceUnavailableException);
  });

  it('passes any other error on unchanged', async () => {
    const bug = new TypeError('bug');
    mocks.producer.enqueue.mockRejectedValue(bug);

    await expect(
      sut.acceptEntityEvents(BeteiligteTopics.Update, [{ id: 'a' }], 'trace-1'),
    ).rejects.toBe(bug);
  });
});
