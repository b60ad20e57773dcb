import type { DynamicModule, Type } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { createApp } from '../../src/app.factory.js';
import { AppConfig } from '../../src/config/app-config.js';
import { HubMetrics } from '../../src/core/metrics/hub-metrics.js';
import { JobProducer } from '../../src/core/queue/job-producer.service.js';
import { deleteKeysWithPrefix } from './redis-keys.js';

export interface RunningHub {
  app: NestExpressApplication;
  config: AppConfig;
  url: string;
  /** fetch against the hub with the ops key unless headers say otherwise. */
  ops(path: string, init?: RequestInit): Promise<Response>;
  close(): Promise<void>;
}

/** Open hubs per Redis and queue prefix: the keys go when the last of them closes. */
const openHubs = new Map<string, number>();

/**
 * Starts the real hub (real Redis, real HTTP on a free port) for an e2e test. Its
 * `close()` also deletes the test's keys (`<QUEUE_PREFIX>:*`) once no other hub of the
 * same prefix is open (tests with two instances share one prefix).
 */
export async function startHub(
  env: Record<string, string | undefined>,
  extraModules: Array<Type | DynamicModule> = [],
): Promise<RunningHub> {
  const config = AppConfig.fromEnv(env);
  const app = await createApp(config, { extraModules });
  await app.listen(0, '127.0.0.1');
  const { host, port, password, db, cacheDb } = config.redis;
  const scope = `${host}:${port}/${db}/${config.queue.prefix}`;
  openHubs.set(scope, (openHubs.get(scope) ?? 0) + 1);
  let closed = false;
  const address = app.getHttpServer().address() as { port: number };
  const url = `http://127.0.0.1:${address.port}`;
  return {
    app,
    config,
    url,
    ops: (path, init = {}) =>
      fetch(`${url}${path}`, {
        ...init,
        headers: {
          'X-Api-Key': config.opsApiKey,
          'Content-Type': 'application/json',
          ...(init.headers ?? {}),
        },
      }),
    close: async () => {
      if (closed) return;
      closed = true;
      try {
        await app.close();
      } finally {
        const left = (openHubs.get(scope) ?? 1) - 1;
        if (left > 0) openHubs.set(scope, left);
        else {
          openHubs.delete(scope);
          // Queues, locks and dedupe keys in the queue DB; the Advoware token in the cache
          // DB. A test that stopped its private Redis has nothing left to clean up.
          for (const d of new Set([db, cacheDb]))
            await deleteKeysWithPrefix({ host, port, password, db: d }, config.queue.prefix).catch(
              () => 0,
            );
        }
      }
    },
  };
}

export async function waitFor<T>(
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  { timeoutMs = 20_000, intervalMs = 50, what = 'condition' } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v as T;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export function postJson(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/**
 * Jobs of `queue` this hub finished (completed, deferred or failed for good; not the
 * attempts that will be retried), from its own metrics: a test waits for this number
 * to move instead of pausing and hoping the job ran.
 */
export async function finishedJobs(hub: RunningHub, queue: string): Promise<number> {
  const { values } = await hub.app.get(HubMetrics).jobs.get();
  return values
    .filter((v) => v.labels.queue === queue && v.labels.outcome !== 'retried')
    .reduce((sum, v) => sum + v.value, 0);
}

/**
 * Waits until none of `queues` has a job waiting or running, `quietLooks` looks in a
 * row 100 ms apart. Delayed jobs are mostly the lock's pending checks (no-ops) and are
 * only waited for with `delayed`.
 */
export async function queuesIdle(
  hub: RunningHub,
  queues: string[],
  { delayed = false, quietLooks = 3, timeoutMs = 20_000 } = {},
): Promise<void> {
  const producer = hub.app.get(JobProducer);
  let quiet = 0;
  await waitFor(
    async () => {
      const counts = await Promise.all(queues.map((q) => producer.queueFor(q).getJobCounts()));
      const busy = counts.some((c) => c.waiting + c.active + (delayed ? c.delayed : 0) > 0);
      quiet = busy ? 0 : quiet + 1;
      return quiet >= quietLooks;
    },
    { what: 'queues idle', intervalMs: 100, timeoutMs },
  );
}
