import { beforeEach, describe, expect, it } from '@jest/globals';
import { BadRequestException, ServiceUnavailableException } from '@nestjs/common';
import { newTestService, type Mocks } from '../../../test/support/new-test-service.js';
import { testConfig } from '../../../test/support/test-env.js';
import { BeteiligteTopics } from '../../vmh/beteiligte/beteiligte.jobs.js';
import { JobProducer, QueueUnavailableError } from '../queue/job-producer.service.js';
import { MAX_BATCH_EVENTS, MAX_WAIT_BEHIND_MS, WebhookIntake } from './webhook-intake.service.js';

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

describe('WebhookIntake, requests enqueued together (group commit)', () => {
  const config = testConfig({}, { WEBHOOK_DEBOUNCE_MS: '1000' });
  let sut: WebhookIntake;
  let mocks: Mocks<typeof DEPS>;
  type Options = { jobId?: (e: { entityId: string }) => string };
  /** Like the producer: a job id is asked for each event that may get a job. */
  const enqueueing =
    (stored: (entityId: string) => boolean) =>
    async (_t: unknown, events: Array<{ entityId: string }>, options?: Options) => {
      const enqueued = events.filter((e) => (options?.jobId?.(e), stored(e.entityId))).length;
      return { enqueued, coalesced: events.length - enqueued };
    };

  beforeEach(async () => {
    ({ sut, mocks } = await newTestService(WebhookIntake, DEPS, { config }));
  });

  it('enqueues them together and answers each with its own count of new ids', async () => {
    mocks.producer.enqueue.mockImplementation(enqueueing(() => true) as never);

    const answers = await Promise.all([
      sut.acceptEntityEvents(BeteiligteTopics.Update, [{ id: 'a' }, { id: 'b' }], 't1'),
      sut.acceptEntityEvents(BeteiligteTopics.Update, [{ id: 'c' }], 't2'),
    ]);

    expect(mocks.producer.enqueue).toHaveBeenCalledTimes(1);
    expect(mocks.producer.enqueue.mock.calls[0][1]).toEqual([
      { entityId: 'a', traceId: 't1' },
      { entityId: 'b', traceId: 't1' },
      { entityId: 'c', traceId: 't2' },
    ]);
    expect(answers.map((a) => a.new_ids_count)).toEqual([2, 1]);
  });

  it('gathers the requests that arrive while the previous batch is stored into the next one', async () => {
    let store!: () => void;
    mocks.producer.enqueue.mockImplementationOnce((async (
      _t: unknown,
      events: Array<{ entityId: string }>,
    ) => {
      await new Promise<void>((resolve) => (store = resolve));
      return { enqueued: events.length, coalesced: 0 };
    }) as never);
    mocks.producer.enqueue.mockImplementation(enqueueing(() => true) as never);

    const first = sut.acceptEntityEvents(BeteiligteTopics.Update, [{ id: 'a' }], 't1');
    await new Promise((r) => setImmediate(r));
    expect(mocks.producer.enqueue).toHaveBeenCalledTimes(1);
    // Three requests in three later event-loop turns, all while 'a' is on its way to Redis.
    const later: Array<Promise<{ new_ids_count: number }>> = [];
    for (const id of ['b', 'c', 'd']) {
      later.push(sut.acceptEntityEvents(BeteiligteTopics.Update, [{ id }], `t-${id}`));
      await new Promise((r) => setImmediate(r));
    }
    expect(mocks.producer.enqueue).toHaveBeenCalledTimes(1);

    store();
    expect((await first).new_ids_count).toBe(1);
    expect((await Promise.all(later)).map((a) => a.new_ids_count)).toEqual([1, 1, 1]);
    expect(mocks.producer.enqueue).toHaveBeenCalledTimes(2);
    expect(mocks.producer.enqueue.mock.calls[1][1]).toEqual([
      { entityId: 'b', traceId: 't-b' },
      { entityId: 'c', traceId: 't-c' },
      { entityId: 'd', traceId: 't-d' },
    ]);
  });

  it('does not wait longer than MAX_WAIT_BEHIND_MS behind a batch that hangs (Redis frozen)', async () => {
    mocks.producer.enqueue.mockImplementationOnce((() => new Promise(() => undefined)) as never);
    mocks.producer.enqueue.mockImplementation(enqueueing(() => true) as never);

    void sut.acceptEntityEvents(BeteiligteTopics.Update, [{ id: 'a' }], 't1');
    await new Promise((r) => setImmediate(r));
    const startedAt = Date.now();
    const second = await sut.acceptEntityEvents(BeteiligteTopics.Update, [{ id: 'b' }], 't2');

    expect(second.new_ids_count).toBe(1);
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(MAX_WAIT_BEHIND_MS - 5);
    expect(Date.now() - startedAt).toBeLessThan(MAX_WAIT_BEHIND_MS + 1000);
    expect(mocks.producer.enqueue).toHaveBeenCalledTimes(2);
  });

  it('lets a request that would grow a batch past its cap go alone', async () => {
    mocks.producer.enqueue.mockImplementation(enqueueing(() => true) as never);
    // EspoCRM sends at most 100 records a request: the cap is reached by several.
    const full = MAX_BATCH_EVENTS / 100;
    const hundred = (k: number) => Array.from({ length: 100 }, (_, i) => ({ id: `e${k}-${i}` }));

    const answers = await Promise.all([
      ...Array.from({ length: full }, (_, k) =>
        sut.acceptEntityEvents(BeteiligteTopics.Update, hundred(k), `t${k}`),
      ),
      sut.acceptEntityEvents(BeteiligteTopics.Update, [{ id: 'x' }, { id: 'y' }], 'last'),
    ]);

    expect(mocks.producer.enqueue).toHaveBeenCalledTimes(2);
    expect(mocks.producer.enqueue.mock.calls.map((c) => c[1].length).sort((a, b) => a - b)).toEqual(
      [2, MAX_BATCH_EVENTS],
    );
    expect(answers.map((a) => a.new_ids_count)).toEqual([...Array(full).fill(100), 2]);
  });

  it('lets a request sharing an id with the open batch go after it, alone', async () => {
    mocks.producer.enqueue.mockImplementation(enqueueing(() => true) as never);

    const [first, second] = await Promise.all([
      sut.acceptEntityEvents(BeteiligteTopics.Update, [{ id: 'a' }], 't1'),
      sut.acceptEntityEvents(BeteiligteTopics.Update, [{ id: 'a' }, { id: 'b' }], 't2'),
    ]);

    expect(mocks.producer.enqueue).toHaveBeenCalledTimes(2);
    expect(mocks.producer.enqueue.mock.calls[1][1]).toEqual([
      { entityId: 'a', traceId: 't2' },
      { entityId: 'b', traceId: 't2' },
    ]);
    expect([first.new_ids_count, second.new_ids_count]).toEqual([1, 2]);
  });

  it('answers 503 to every request of the batch when Redis cannot take the jobs', async () => {
    mocks.producer.enqueue.mockRejectedValue(new QueueUnavailableError('redis down'));

    const answers = await Promise.allSettled([
      sut.acceptEntityEvents(BeteiligteTopics.Update, [{ id: 'a' }], 't1'),
      sut.acceptEntityEvents(BeteiligteTopics.Update, [{ id: 'b' }], 't2'),
    ]);

    expect(mocks.producer.enqueue).toHaveBeenCalledTimes(1);
    for (const a of answers) {
      expect(a.status).toBe('rejected');
      expect((a as PromiseRejectedResult).reason).toBeInstanceOf(ServiceUnavailableException);
    }
  });

  it('keeps topics apart, and does not merge under a short debounce', async () => {
    mocks.producer.enqueue.mockImplementation(enqueueing(() => true) as never);
    await Promise.all([
      sut.acceptEntityEvents(BeteiligteTopics.Update, [{ id: 'a' }], 't1'),
      sut.acceptEntityEvents(BeteiligteTopics.Create, [{ id: 'b' }], 't2'),
    ]);
    expect(mocks.producer.enqueue).toHaveBeenCalledTimes(2);

    const short = await newTestService(WebhookIntake, DEPS, {
      config: testConfig({}, { WEBHOOK_DEBOUNCE_MS: '250' }),
    });
    short.mocks.producer.enqueue.mockImplementation(enqueueing(() => true) as never);
    await Promise.all([
      short.sut.acceptEntityEvents(BeteiligteTopics.Update, [{ id: 'a' }], 't1'),
      short.sut.acceptEntityEvents(BeteiligteTopics.Update, [{ id: 'b' }], 't2'),
    ]);
    expect(short.mocks.producer.enqueue).toHaveBeenCalledTimes(2);
  });
});
