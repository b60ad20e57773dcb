import { BadRequestException, Injectable, ServiceUnavailableException } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { AppConfig } from '../../config/app-config.js';
import {
  type EnqueueResult,
  JobProducer,
  QueueUnavailableError,
} from '../queue/job-producer.service.js';
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
 * Webhook requests merge into one enqueue only with at least this debounce: a
 * merged enqueue that is partly coalesced looks its jobs up afterwards, and a job
 * can neither start nor be removed before its debounce has passed.
 */
export const MERGE_MIN_DEBOUNCE_MS = 1000;
/** Events one batch takes at most: its one claim-and-store script stays short for Redis. */
export const MAX_BATCH_EVENTS = 500;
/**
 * How long a batch waits for the one before it. Redis stores a batch in a few ms; one
 * that hangs (Redis frozen: up to the enqueue timeout) must not add its wait to the
 * requests behind it, which then go on their own and get their own answer in time.
 */
export const MAX_WAIT_BEHIND_MS = 100;

interface Waiting {
  events: EntityEvent[];
  resolve(enqueued: number): void;
  reject(err: unknown): void;
}

/** The requests for one topic that are enqueued together. */
interface Batch {
  requests: Waiting[];
  ids: Set<string>;
  done: Promise<void>;
}

/**
 * The intake contract every webhook uses: 400 with the reason for a body that can
 * never succeed, 2xx only once the jobs are in Redis, 503 when Redis cannot take
 * them (EspoCRM retries 503; it drops 429 and 502 for good).
 *
 * Requests for the same topic that arrive while the topic's previous batch is being
 * stored (or in the same event-loop turn) are enqueued together: one script claims
 * and stores them all (JobProducer) instead of a round trip or two per request, which
 * is most of what a webhook costs the hub under load. Each request is still answered
 * only once its jobs are stored, with its own count of new ids (see `settle`); they
 * share the outcome when Redis fails.
 */
@Injectable()
export class WebhookIntake {
  /** Per topic: the batch still taking requests, and the one being stored. */
  private readonly open = new Map<Topic<EntityEvent>, Batch>();
  private readonly storing = new Map<Topic<EntityEvent>, Batch>();

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
    const events = parsed.ids.map((entityId) => ({ entityId, traceId }));
    const enqueued =
      this.config.queue.debounceMs >= MERGE_MIN_DEBOUNCE_MS
        ? await this.enqueueInBatch(topic, events)
        : (await this.enqueue(topic, events)).enqueued;
    return {
      status: 'received',
      action: topic.name,
      new_ids_count: enqueued,
      total_ids_in_batch: parsed.total,
    };
  }

  /** Coalesces per entity: events for an entity whose job still waits add nothing. */
  async enqueue(topic: Topic<EntityEvent>, events: EntityEvent[]): Promise<EnqueueResult> {
    return this.enqueueWith(topic, events);
  }

  private async enqueueWith(
    topic: Topic<EntityEvent>,
    events: EntityEvent[],
    jobId?: (event: EntityEvent) => string,
  ): Promise<EnqueueResult> {
    try {
      return await this.producer.enqueue(topic, events, {
        coalesceBy: (e) => e.entityId,
        delayMs: this.config.queue.debounceMs,
        ...(jobId ? { jobId } : {}),
      });
    } catch (err) {
      if (err instanceof QueueUnavailableError) {
        throw new ServiceUnavailableException('queue unavailable, retry later');
      }
      throw err;
    }
  }

  /**
   * Joins the topic's open batch. A request sharing an id with it waits for it and
   * goes alone, as it would have after it: its event is then coalesced into the job
   * the earlier request made. A request that would grow the batch past
   * MAX_BATCH_EVENTS goes alone at once.
   */
  private async enqueueInBatch(topic: Topic<EntityEvent>, events: EntityEvent[]): Promise<number> {
    const batch = this.open.get(topic);
    if (batch && events.some((e) => batch.ids.has(e.entityId))) {
      await batch.done;
      return (await this.enqueue(topic, events)).enqueued;
    }
    if (batch && batch.ids.size + events.length > MAX_BATCH_EVENTS) {
      return (await this.enqueue(topic, events)).enqueued;
    }
    return new Promise<number>((resolve, reject) => {
      const current = batch ?? this.openBatch(topic);
      current.requests.push({ events, resolve, reject });
      for (const e of events) current.ids.add(e.entityId);
    });
  }

  private openBatch(topic: Topic<EntityEvent>): Batch {
    let finish!: () => void;
    const batch: Batch = {
      requests: [],
      ids: new Set(),
      done: new Promise<void>((resolve) => (finish = resolve)),
    };
    this.open.set(topic, batch);
    // Group commit: while the topic's previous batch is in Redis, requests gather in
    // this one, which goes when that one is stored; with none in flight, at the end of
    // this event-loop turn. The busier the intake, the bigger the batches.
    const store = () => {
      this.open.delete(topic);
      this.storing.set(topic, batch);
      void this.settle(topic, batch.requests).finally(() => {
        if (this.storing.get(topic) === batch) this.storing.delete(topic);
        finish();
      });
    };
    const before = this.storing.get(topic);
    if (before) void settledOrAfter(before.done, MAX_WAIT_BEHIND_MS).then(store);
    else setImmediate(store);
    return batch;
  }

  /**
   * One enqueue for the batch's requests, then each request's count of new ids. A job
   * id is asked for exactly the events that may get a job, so when every one of them
   * did (or none did) the counts follow from the result; when only some did and the
   * batch held several requests, the jobs are looked up (one round trip, rare: it needs
   * events repeated within the debounce).
   */
  private async settle(topic: Topic<EntityEvent>, requests: Waiting[]): Promise<void> {
    const jobIds = new Map<EntityEvent, string>();
    const jobId = (e: EntityEvent) => {
      const id = randomUUID();
      jobIds.set(e, id);
      return id;
    };
    try {
      const all = requests.length === 1 ? requests[0].events : requests.flatMap((r) => r.events);
      const result = await this.enqueueWith(topic, all, jobId);
      if (requests.length === 1) {
        requests[0].resolve(result.enqueued);
        return;
      }
      let stored: (e: EntityEvent) => boolean;
      if (result.enqueued === jobIds.size) stored = (e) => jobIds.has(e);
      else if (result.enqueued === 0) stored = () => false;
      else stored = await this.lookUpJobs(topic, jobIds);
      for (const r of requests) r.resolve(r.events.filter(stored).length);
    } catch (err) {
      for (const r of requests) r.reject(err);
    }
  }

  private async lookUpJobs(
    topic: Topic<EntityEvent>,
    jobIds: Map<EntityEvent, string>,
  ): Promise<(e: EntityEvent) => boolean> {
    const queue = this.producer.queueFor(topic);
    const events = [...jobIds.keys()];
    let jobs: unknown[];
    try {
      jobs = await Promise.all(events.map((e) => queue.getJob(jobIds.get(e)!)));
    } catch {
      // The jobs are stored; only the count is unknown. EspoCRM's retry is coalesced.
      throw new ServiceUnavailableException('queue unavailable, retry later');
    }
    const found = new Set(events.filter((_, i) => jobs[i] !== null && jobs[i] !== undefined));
    return (e) => found.has(e);
  }
}

function settledOrAfter(previous: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    previous,
    new Promise<void>((resolve) => (timer = setTimeout(resolve, ms))),
  ]).finally(() => clearTimeout(timer));
}
