import { Redis } from 'ioredis';
import { JobProducer } from '../../src/core/queue/job-producer.service.js';
import {
  MERGE_MIN_DEBOUNCE_MS,
  WebhookIntake,
} from '../../src/core/webhook/webhook-intake.service.js';
import { countCalls } from '../support/count-calls.js';
import { startHub, type RunningHub } from '../support/hub.js';
import { ProbeModule, ProbeTopics } from '../support/probe.module.js';
import { testEnv } from '../support/test-env.js';

/**
 * The intake's group commit on a real Redis and real Bull, as an api process runs it (no
 * worker takes the jobs, so they wait out their debounce where the test can count them).
 * The requests are handed to the intake in one event-loop turn, as the HTTP server does
 * when they arrive together; over the wire that timing would be luck.
 */
describe('WebhookIntake group commit (real Redis, real Bull, api role)', () => {
  let hub: RunningHub;
  let intake: WebhookIntake;
  let producer: JobProducer;
  let enqueues = { count: 0 };
  const redis = new Redis({ host: '127.0.0.1', port: 6379 });
  let n = 0;
  const ids = (count: number) =>
    Array.from({ length: count }, () => `g${Date.now().toString(36)}${(n++).toString(36)}`);

  beforeAll(async () => {
    hub = await startHub(
      testEnv({}, { APP_ROLE: 'api', WEBHOOK_DEBOUNCE_MS: String(MERGE_MIN_DEBOUNCE_MS) }),
      [ProbeModule],
    );
    intake = hub.app.get(WebhookIntake);
    producer = hub.app.get(JobProducer);
    // The batches; each still goes to the real Redis.
    enqueues = countCalls(producer, 'enqueue');
  });
  afterAll(async () => {
    await hub.close();
    redis.disconnect();
  });
  beforeEach(() => {
    enqueues.count = 0;
  });

  const accept = (entityIds: string[], traceId: string) =>
    intake.acceptEntityEvents(
      ProbeTopics.Touch,
      entityIds.map((id) => ({ id })),
      traceId,
    );
  /** Jobs waiting in Redis per entity id. */
  const jobsOf = async (entityIds: string[]) => {
    const jobs = await producer.queueFor(ProbeTopics.Touch).getDelayed();
    return entityIds.map(
      (id) => jobs.filter((j) => (j.data as { entityId: string }).entityId === id).length,
    );
  };

  it('stores the requests of one turn with one enqueue and answers each with its own count', async () => {
    const [a, b, c] = ids(3);

    const answers = await Promise.all([accept([a, b], 't1'), accept([c], 't2')]);

    expect(enqueues.count).toBe(1);
    expect(answers.map((x) => x.new_ids_count)).toEqual([2, 1]);
    expect(await jobsOf([a, b, c])).toEqual([1, 1, 1]);
  });

  it('looks the jobs up in Redis when another process holds the claim of one id of the batch', async () => {
    const [a, b, c] = ids(3);
    // Another api process claimed b a moment ago and is adding its job.
    await redis.set(producer.dedupeKey(ProbeTopics.Touch, b), `${Date.now()}|elsewhere`, 'EX', 60);

    const answers = await Promise.all([accept([a, b], 't1'), accept([c], 't2')]);

    expect(enqueues.count).toBe(1);
    expect(answers.map((x) => x.new_ids_count)).toEqual([1, 1]);
    expect(await jobsOf([a, b, c])).toEqual([1, 0, 1]);
  });

  it('sends a request that repeats an id of the open batch after it, its event joining that job', async () => {
    const [a, b] = ids(2);

    const answers = await Promise.all([accept([a], 't1'), accept([a, b], 't2')]);

    expect(enqueues.count).toBe(2);
    expect(answers.map((x) => x.new_ids_count)).toEqual([1, 1]);
    expect(await jobsOf([a, b])).toEqual([1, 1]);
  });
});
