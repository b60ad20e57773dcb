import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Redis } from 'ioredis';
import { createApp } from '../../../src/app.factory.js';
import { AppConfig } from '../../../src/config/app-config.js';
import type {
  CBeteiligte,
  CDokumente,
  CVmhRaeumungsklage,
} from '../../../src/integrations/espocrm/espocrm.types.js';
import type { EspoCrmFake } from '../../fakes/espocrm/espocrm.fake.js';
import { RecordingLogger } from './recording-logger.js';

export interface InProcessHub {
  app: NestExpressApplication;
  config: AppConfig;
  url: string;
  logger: RecordingLogger;
  logFile: string;
  /** fetch with the ops key. */
  ops(path: string, init?: RequestInit): Promise<Response>;
  close(): Promise<void>;
}

/** The real app in the test process, logging through a RecordingLogger into `<dir>/<label>.log`. */
export async function startInProcessHub(
  env: Record<string, string | undefined>,
  dir: string,
  label: string,
): Promise<InProcessHub> {
  const config = AppConfig.fromEnv(env);
  const logFile = join(dir, `${label}.log`);
  const logger = new RecordingLogger(config, logFile);
  const app = await createApp(config, { logger });
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as { port: number };
  const url = `http://127.0.0.1:${port}`;
  return {
    app,
    config,
    url,
    logger,
    logFile,
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
      await app.close();
      await logger.close();
    },
  };
}

export const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));

/** Polls until `probe` is truthy; throws after `timeoutMs` so no scenario can hang. */
export async function until<T>(
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  what: string,
  { timeoutMs = 60_000, intervalMs = 100 } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v as T;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

export interface QueueState {
  waiting: number;
  active: number;
  delayed: number;
  failed: number;
  /** Jobs ever added without a fixed id (Bull's `:id` counter), over all queues. */
  added: number;
}

/** Bull's own keys, read directly, so the figures do not depend on the hub answering. */
export async function queueState(redis: Redis, prefix: string): Promise<QueueState> {
  const queues = new Set<string>();
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    for (const k of keys) {
      const m = new RegExp(`^${prefix}:([^:]+):(wait|active|delayed|failed|id|completed)$`).exec(k);
      if (m) queues.add(m[1]);
    }
  } while (cursor !== '0');
  const state: QueueState = { waiting: 0, active: 0, delayed: 0, failed: 0, added: 0 };
  for (const q of queues) {
    const k = `${prefix}:${q}`;
    const [wait, paused, active, delayed, failed, id] = await Promise.all([
      redis.llen(`${k}:wait`),
      redis.llen(`${k}:paused`),
      redis.llen(`${k}:active`),
      redis.zcard(`${k}:delayed`),
      redis.zcard(`${k}:failed`),
      redis.get(`${k}:id`),
    ]);
    state.waiting += wait + paused;
    state.active += active;
    state.delayed += delayed;
    state.failed += failed;
    state.added += Number(id ?? 0);
  }
  return state;
}

/**
 * Every Bull job under `prefix`, whatever its id (a counter, a UUID, a step and tick
 * time): a job is a hash with `data` and `timestamp`, which no queue-level key has.
 */
export async function jobKeys(redis: Redis, prefix: string): Promise<string[]> {
  const jobs: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    for (const k of keys) {
      if ((await redis.type(k)) !== 'hash') continue;
      const [data, timestamp] = await redis.hmget(k, 'data', 'timestamp');
      if (data !== null && timestamp !== null) jobs.push(k);
    }
  } while (cursor !== '0');
  return jobs;
}

/**
 * Waits until no job waits or runs, several polls in a row. Delayed jobs are
 * allowed: the pending checks after a deferral wait out the lock TTL and then
 * find nothing to do.
 */
export async function drained(
  redis: Redis,
  prefix: string,
  what: string,
  timeoutMs: number,
  done: () => boolean = () => true,
): Promise<void> {
  let quiet = 0;
  await until(
    async () => {
      const s = await queueState(redis, prefix);
      quiet = s.waiting + s.active === 0 && done() ? quiet + 1 : 0;
      return quiet >= 5;
    },
    what,
    { timeoutMs, intervalMs: 200 },
  );
}

/** Parties as a person enters them in EspoCRM: not yet synced (`pending_sync`). */
export function seedBeteiligte(espo: EspoCrmFake, count: number, tag: string): string[] {
  return Array.from({ length: count }, (_, i) => {
    const person = i % 3 !== 0;
    const e = espo.put<CBeteiligte>('CBeteiligte', {
      name: person ? `Vorname${i} Nachname${tag}${i}` : `Firma ${tag} ${i} GmbH`,
      firstName: person ? `Vorname${i}` : null,
      lastName: person ? `Nachname${tag}${i}` : null,
      rechtsform: person ? 'Natürliche Person' : 'GmbH',
      anrede: person ? (i % 2 ? 'Frau' : 'Herr') : null,
      syncStatus: 'pending_sync',
      assignedUserId: 'user-chaos',
      emailAddressData:
        i % 10 === 0 ? [{ emailAddress: `p${tag}${i}@example.de`, primary: true }] : [],
      phoneNumberData: [],
    });
    return e.id;
  });
}

/** One Räumungsklage with `count` new documents linked to it (one xAI collection). */
export function seedDocuments(
  espo: EspoCrmFake,
  count: number,
  tag: string,
): { klage: string; docs: string[] } {
  const docs = Array.from({ length: count }, (_, i) => {
    const name = `akte-${tag}-${i}.txt`;
    const dokumentId = espo.addAttachment({
      name,
      type: 'text/plain',
      text: `Schriftsatz ${tag} ${i}`,
    });
    return espo.put<CDokumente>('CDokumente', { name, dokumentId, fileStatus: 'neu' }).id;
  });
  const klage = espo.put<CVmhRaeumungsklage>('CVmhRaeumungsklage', { name: `Klage ${tag}` }).id;
  espo.linkRecords('CVmhRaeumungsklage', klage, 'dokumente', docs);
  return { klage, docs };
}

export interface LeakReport {
  bytesScanned: number;
  files: number;
  /** `name @ file` of every needle found, empty when nothing leaked. */
  leaks: string[];
}

/** Searches whole log files for every needle (a plain substring search, nothing masked). */
export function scanForSecrets(
  files: string[],
  needles: Array<{ name: string; value: string }>,
): LeakReport {
  const report: LeakReport = { bytesScanned: 0, files: 0, leaks: [] };
  for (const file of files) {
    if (!existsSync(file)) continue;
    const text = readFileSync(file, 'utf8');
    report.files += 1;
    report.bytesScanned += Buffer.byteLength(text);
    for (const n of needles) {
      const count = text.split(n.value).length - 1;
      if (count > 0) report.leaks.push(`${n.name} ×${count} @ ${file}`);
    }
  }
  return report;
}
