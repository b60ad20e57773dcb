import type { Redis } from 'ioredis';

/**
 * Watches a hub from outside: its queues in Redis (by Bull's key layout) and its
 * Prometheus counters over HTTP.
 */
export interface QueueCounts {
  waiting: number;
  active: number;
  /** Delayed jobs that will do work (debounced events, retries). */
  delayed: number;
  /** Delayed lock checks after a deferral: no-ops unless a lock holder died. */
  pendingChecks: number;
}

/** Above this many delayed jobs they are not inspected (the poll must not load Redis itself). */
const INSPECT_DELAYED_UP_TO = 50;

export async function queueCounts(
  redis: Redis,
  prefix: string,
  queue: string,
): Promise<QueueCounts> {
  const key = `${prefix}:${queue}`;
  const [waiting, active, paused, delayed] = await Promise.all([
    redis.llen(`${key}:wait`),
    redis.llen(`${key}:active`),
    redis.llen(`${key}:paused`),
    redis.zcard(`${key}:delayed`),
  ]);
  let pendingChecks = 0;
  if (delayed > 0 && delayed <= INSPECT_DELAYED_UP_TO) {
    const ids = await redis.zrange(`${key}:delayed`, 0, -1);
    const data = await Promise.all(ids.map((id) => redis.hget(`${key}:${id}`, 'data')));
    pendingChecks = data.filter((d) => d !== null && d.includes('"pendingCheck":true')).length;
  }
  return { waiting: waiting + paused, active, delayed: delayed - pendingChecks, pendingChecks };
}

/** True when no queue has work waiting, running or debounced (pending lock checks aside). */
export async function queuesIdle(redis: Redis, prefix: string, queues: string[]): Promise<boolean> {
  const counts = await Promise.all(queues.map((q) => queueCounts(redis, prefix, q)));
  return counts.every((c) => c.waiting + c.active + c.delayed === 0);
}

/** Sums a Prometheus counter over the series whose labels include `match`. */
export function counterSum(text: string, name: string, match: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const labels = /\{([^}]*)\}/.exec(line)?.[1] ?? '';
    const ok = Object.entries(match).every(([k, v]) => labels.includes(`${k}="${v}"`));
    if (ok) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

export async function scrapeMetrics(hubUrl: string, opsApiKey: string): Promise<string> {
  const res = await fetch(`${hubUrl}/metrics`, { headers: { 'X-Api-Key': opsApiKey } });
  if (!res.ok) throw new Error(`GET /metrics answered ${res.status}`);
  return res.text();
}

/** Posts JSON bodies with `concurrency` requests in flight; every answer must be 2xx. */
export async function postAll(url: string, bodies: unknown[], concurrency: number): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < bodies.length) {
        const body = bodies[next++];
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
        if (!res.ok) throw new Error(`POST ${url} answered ${res.status}: ${await res.text()}`);
        await res.arrayBuffer().catch(() => undefined);
      }
    }),
  );
}

/** Topics some queue step of the running hub processes: which domain modules it has. */
export async function processedTopics(hubUrl: string, opsApiKey: string): Promise<Set<string>> {
  const res = await fetch(`${hubUrl}/_console/functions`, { headers: { 'X-Api-Key': opsApiKey } });
  if (!res.ok) throw new Error(`GET /_console/functions answered ${res.status}`);
  const body = (await res.json()) as {
    functions: Array<{ trigger: { type: string; topics?: string[] } }>;
  };
  return new Set(
    body.functions.flatMap((f) => (f.trigger.type === 'queue' ? (f.trigger.topics ?? []) : [])),
  );
}
