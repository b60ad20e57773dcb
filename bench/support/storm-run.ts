import { startBenchStack, type BenchStack } from './bench-stack.js';
import {
  changeFiles,
  currentHashes,
  eventBatches,
  necessaryCalls,
  notSynced,
  seedWorld,
  upstreamTimeline,
  type DocumentWorld,
} from './document-world.js';
import { type CallFloor, measureCallFloor } from './call-floor.js';
import { startHubProcess, type HubProcess, type PeakMemory } from './hub-process.js';
import { counterSum, postAll, processedTopics, queuesIdle, scrapeMetrics } from './hub-observer.js';
import { freePort, until } from './ports.js';
import { commandDelta } from './private-redis.js';
import type { ScenarioContext } from './scenario.js';

export const DOCUMENTS = 1000;
export const EVENTS_PER_DOCUMENT = 10;
export const CHANGED = 100;
/** Documents synced by the hub before the storm and not part of it: the hub is warm, as in production. */
const WARMUP_DOCUMENTS = 200;
const BATCH = 50;
/** EspoCRM sends a webhook's batches one after another; a few senders model several hooks firing. */
const SENDERS = 4;
const QUEUES = ['vmh-document', 'xai-collection'];

/** One hub process of a layout: `all` alone, or an `api` beside `worker`s on the same Redis. */
export type Role = 'all' | 'api' | 'worker';

export interface StormFigures {
  /** The queues idle again, from the first storm event. */
  totalMs: number;
  /** From the moment the first debounced job may run (first event + WEBHOOK_DEBOUNCE_MS) to idle. */
  drainMs: number;
  debounceMs: number;
  sentMs: number;
  concurrency: number;
  workers: number;
  uploads: number;
  /** New files per changed document (its name carries the document id). */
  uploadsPerChanged: number[];
  espoGets: number;
  recordReads: number;
  /** Record reads per document: each document must be read exactly once. */
  readsPerDocument: { min: number; max: number };
  /** Documents of the storm whose record was read other than exactly once. */
  notReadOnce: number;
  espoCounts: Record<string, number>;
  xaiCounts: Record<string, number>;
  observed: { espocrm: number; xai: number };
  necessary: { espocrm: number; xai: number };
  idealMs: number;
  runs: number;
  deferred: number;
  stale: number;
  initialStale: number;
  initialMs: number;
  /** Hub CPU (all processes) from the end of sending to idle, in ms. */
  cpuMs: number;
  /** Mean duration of an upstream call as the hub timed it (its metrics), in ms. */
  upstreamMeanMs: number;
  /** Every job's duration summed (its metrics), in ms: the slots' busy time. */
  jobMs: number;
  redisCommands: Record<string, number>;
  redisTotal: number;
  timeline: number[];
  peaks: Array<{ label: string; peak: PeakMemory }>;
  /** The necessary calls made by a bare client as many at a time as the hub's slots, just after the drain. */
  floor: CallFloor;
}

async function startLayout(
  ctx: ScenarioContext,
  stack: BenchStack,
  label: string,
  roles: Role[],
): Promise<Array<{ role: Role; hub: HubProcess; metricsUrl: string }>> {
  const hubs: Array<{ role: Role; hub: HubProcess; metricsUrl: string }> = [];
  try {
    for (const [i, role] of roles.entries()) {
      // A worker serves only its health routes; its counters come from the keyless
      // metrics port (loopback), as Prometheus would scrape them.
      const metricsPort = role === 'worker' ? await freePort() : 0;
      const hub = await startHubProcess(
        {
          ...stack.env,
          APP_ROLE: role,
          ...(metricsPort ? { METRICS_PORT: String(metricsPort) } : {}),
        },
        {
          label: roles.length > 1 ? `${label}-${role}${i}` : label,
          outDir: ctx.settings.outDir,
          cpuProfile: ctx.settings.cpuProfile,
          nodeArgs: ctx.settings.hubNodeArgs,
        },
      );
      hubs.push({
        role,
        hub,
        metricsUrl: metricsPort ? `http://127.0.0.1:${metricsPort}` : hub.url,
      });
    }
  } catch (err) {
    await Promise.all(hubs.map((h) => h.hub.stop()));
    throw err;
  }
  return hubs;
}

/**
 * The document storm on one layout of hub processes: the world seeded, its 1,200
 * documents synced once by the hub (the initial sync, which also warms it), 100 of
 * the storm's 1,000 given a new file, then 10,000 update events (10 per document)
 * in batches of 50, measured until the queues are idle.
 */
export async function runStorm(
  ctx: ScenarioContext,
  label: string,
  roles: Role[],
): Promise<StormFigures | { missing: string }> {
  const { settings } = ctx;
  const stack = await startBenchStack(settings, label);
  const { espocrm: espo, xai } = stack.fakes;
  const world: DocumentWorld = seedWorld(espo, xai, DOCUMENTS + WARMUP_DOCUMENTS);
  const docIds = world.docIds.slice(0, DOCUMENTS);
  const hubs = await startLayout(ctx, stack, label, roles);
  const intake = hubs.find((h) => h.role !== 'worker')!.hub;
  const workers = hubs.filter((h) => h.role !== 'api');
  const opsKey = stack.env.OPS_API_KEY;
  const idle = () => queuesIdle(ctx.redis.client, stack.prefix, QUEUES);
  const cpu = async () =>
    (await Promise.all(hubs.map((h) => h.hub.cpuMs()))).reduce((a, b) => a + b);
  const metrics = () => Promise.all(workers.map((w) => scrapeMetrics(w.metricsUrl, opsKey)));
  try {
    const topics = await processedTopics(intake.url, opsKey);
    if (!topics.has('vmh.document.update'))
      return { missing: 'documents module (vmh.document.update has no step)' };

    ctx.log(
      `${label}: initial sync of ${world.docIds.length} documents over ${world.owners.length} owners`,
    );
    const t00 = Date.now();
    await postAll(
      `${intake.url}/vmh/webhook/document/create`,
      eventBatches(world.docIds, 1, BATCH),
      SENDERS,
    );
    const initialHashes = currentHashes(espo, world.docIds);
    await until(
      async () => (await idle()) && notSynced(espo, world, initialHashes).length === 0,
      'the initial sync',
      { timeoutMs: 90_000, intervalMs: 100 },
    ).catch(() => undefined);
    const initialMs = Date.now() - t00;
    const initialStale = notSynced(espo, world, initialHashes).length;
    if (initialStale > 0)
      ctx.log(`${label}: ${initialStale} documents not synced by the initial sync`);

    const changedIds = docIds.filter((_, i) => i % (DOCUMENTS / CHANGED) === 0);
    const changed = changeFiles(espo, changedIds);
    espo.clearLog();
    xai.clearLog();
    const uploadsBefore = xai.uploadCount;
    const filesBefore = new Set(xai.files().map((f) => f.id));
    const redisBefore = await ctx.redis.commandCalls();
    const metricsBefore = await metrics();

    ctx.log(`${label}: ${DOCUMENTS * EVENTS_PER_DOCUMENT} events in batches of ${BATCH}`);
    const t0 = Date.now();
    await postAll(
      `${intake.url}/vmh/webhook/document/update`,
      eventBatches(docIds, EVENTS_PER_DOCUMENT, BATCH),
      SENDERS,
    );
    const sentMs = Date.now() - t0;
    const cpuBefore = await cpu();
    await until(idle, 'the storm to drain', { timeoutMs: 120_000, intervalMs: 20 });
    const totalMs = Date.now() - t0;
    const cpuMs = (await cpu()) - cpuBefore;
    const redisDelta = commandDelta(redisBefore, await ctx.redis.commandCalls());
    const metricsAfter = await metrics();
    const peaks = [];
    for (const [i, { role, hub }] of hubs.entries())
      peaks.push({
        label: hubs.length > 1 ? `${label} ${role} ${i}` : label,
        peak: { ...(await hub.peakMemory()), heapAfterGc: await hub.heapAfterGc() },
      });

    const debounceMs = Number(stack.env.WEBHOOK_DEBOUNCE_MS);
    const concurrency = Number(stack.env.WORKER_CONCURRENCY);
    const recordReads = new Map<string, number>(docIds.map((id) => [id, 0]));
    for (const r of espo.requests) {
      const m = /^\/api\/v1\/CDokumente\/([^/]+)$/.exec(r.path);
      if (r.method === 'GET' && m && recordReads.has(m[1]))
        recordReads.set(m[1], recordReads.get(m[1])! + 1);
    }
    const newFiles = xai.files().filter((f) => !filesBefore.has(f.id));
    const uploadsPerChanged = changedIds.map(
      (id) => newFiles.filter((f) => f.filename === `akte-neu-${id}.txt`).length,
    );
    const necessary = necessaryCalls(world, docIds, new Set(changedIds));
    const delta = (name: string, labels: Record<string, string>) =>
      metricsAfter.reduce((s, m) => s + counterSum(m, name, labels), 0) -
      metricsBefore.reduce((s, m) => s + counterSum(m, name, labels), 0);
    const redisCommands = Object.fromEntries(redisDelta);
    const perDoc = [...recordReads.values()];
    const figures = {
      totalMs,
      drainMs: totalMs - debounceMs,
      debounceMs,
      sentMs,
      concurrency,
      workers: workers.length,
      uploads: xai.uploadCount - uploadsBefore,
      uploadsPerChanged,
      espoGets: espo.requests.filter((r) => r.method === 'GET').length,
      recordReads: perDoc.reduce((a, b) => a + b, 0),
      readsPerDocument: { min: Math.min(...perDoc), max: Math.max(...perDoc) },
      notReadOnce: perDoc.filter((n) => n !== 1).length,
      espoCounts: espo.counts(),
      xaiCounts: xai.counts(),
      observed: { espocrm: espo.requests.length, xai: xai.requests.length },
      necessary,
      idealMs:
        ((necessary.espocrm + necessary.xai) * settings.latencyMs) / (concurrency * workers.length),
      runs:
        delta('hub_entity_lock_total', { step: 'document_sync', outcome: 'acquired' }) +
        delta('hub_entity_lock_total', { step: 'document_sync', outcome: 'trailing_run' }),
      deferred: delta('hub_entity_lock_total', { step: 'document_sync', outcome: 'busy' }),
      stale: notSynced(espo, world, changed).length,
      initialStale,
      initialMs,
      cpuMs,
      upstreamMeanMs:
        (1000 * delta('hub_upstream_request_duration_seconds_sum', {})) /
        delta('hub_upstream_request_duration_seconds_count', {}),
      jobMs: 1000 * delta('hub_job_duration_seconds_sum', {}),
      redisCommands,
      redisTotal: Object.values(redisCommands).reduce((a, b) => a + b, 0),
      timeline: upstreamTimeline([...espo.requests, ...xai.requests], t0),
      peaks,
    };
    // Last: its calls land in the fake's log, which every figure above has read.
    const floor = await measureCallFloor(
      {
        baseUrl: stack.env.ESPOCRM_API_BASE_URL,
        headers: { 'X-Api-Key': stack.env.ESPOCRM_API_KEY, Accept: 'application/json' },
        paths: docIds.map((id) => `CDokumente/${id}`),
        calls: necessary.espocrm + necessary.xai,
        concurrency: concurrency * workers.length,
      },
      settings.hubNodeArgs,
    );
    return { ...figures, floor };
  } finally {
    await Promise.all(hubs.map((h) => h.hub.stop()));
    await stack.close();
  }
}
