import type { Redis } from 'ioredis';
import { sleep } from './ports.js';
import { Answer, bodyIndexOf, type BodyPool } from './signed-load.js';

const CHUNK = 5000;

/** Jobs waiting in a Bull queue (delayed + wait): with `APP_ROLE=api` nothing else can hold them. */
export async function waitingJobCount(redis: Redis, queueKey: string): Promise<number> {
  const [delayed, waiting] = await Promise.all([
    redis.zcard(`${queueKey}:delayed`),
    redis.llen(`${queueKey}:wait`),
  ]);
  return delayed + waiting;
}

/**
 * Waits until the queue stops growing: autocannon stops at its deadline without
 * waiting for the answers in flight, and the hub still finishes (and stores) those.
 */
export async function settle(redis: Redis, queueKey: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = await waitingJobCount(redis, queueKey);
  while (Date.now() < deadline) {
    await sleep(250);
    const now = await waitingJobCount(redis, queueKey);
    if (now === last) return;
    last = now;
  }
}

/** The entity id of every waiting job, read from the job hashes Bull keeps. */
export async function storedEventIds(redis: Redis, queueKey: string): Promise<string[]> {
  const [delayed, waiting] = await Promise.all([
    redis.zrange(`${queueKey}:delayed`, 0, -1),
    redis.lrange(`${queueKey}:wait`, 0, -1),
  ]);
  const jobIds = [...delayed, ...waiting];
  const out: string[] = [];
  for (let k = 0; k < jobIds.length; k += CHUNK) {
    const pipe = redis.pipeline();
    for (const id of jobIds.slice(k, k + CHUNK)) pipe.hget(`${queueKey}:${id}`, 'data');
    for (const [err, data] of (await pipe.exec()) ?? []) {
      if (err || typeof data !== 'string') continue;
      const entityId = (JSON.parse(data) as { entityId?: unknown }).entityId;
      out.push(typeof entityId === 'string' ? entityId : '');
    }
  }
  return out;
}

/** One run's jobs against its answers. */
export interface JobTally {
  /** Distinct event ids in the bodies answered 2xx. */
  acknowledged: number;
  /** Jobs for those events (a duplicate job counts twice). */
  forAcknowledged: number;
  /** Jobs for bodies sent but not answered before the load stopped. */
  inFlight: number;
  /** Jobs for events of this run never sent, or answered with an error: must be 0. */
  stray: number;
  /** Requests sent / bodies in flight at the deadline. */
  sent: number;
  unanswered: number;
}

/** Matches the stored jobs with `pool`'s ids to what the run's answers said. */
export function tallyJobs(pool: BodyPool, answers: Uint8Array, eventIds: string[]): JobTally {
  const tally = emptyTally();
  for (const a of answers) {
    if (a === Answer.Ok) tally.acknowledged += pool.idsPerBody;
    if (a !== Answer.NotSent) tally.sent += 1;
    if (a === Answer.Unanswered) tally.unanswered += 1;
  }
  for (const id of eventIds) {
    if (!id.startsWith(`${pool.prefix}-`)) continue;
    const i = bodyIndexOf(pool, id);
    const a = i === undefined ? Answer.NotSent : answers[i];
    if (a === Answer.Ok) tally.forAcknowledged += 1;
    else if (a === Answer.Unanswered) tally.inFlight += 1;
    else tally.stray += 1;
  }
  return tally;
}

/** The tallies of several runs (each with its own pool) as one. */
export function addTallies(tallies: JobTally[]): JobTally {
  const total = emptyTally();
  for (const t of tallies)
    for (const k of Object.keys(total) as Array<keyof JobTally>) total[k] += t[k];
  return total;
}

function emptyTally(): JobTally {
  return { acknowledged: 0, forAcknowledged: 0, inFlight: 0, stray: 0, sent: 0, unanswered: 0 };
}
