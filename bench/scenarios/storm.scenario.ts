import { createHash, randomUUID } from 'node:crypto';
import type { CDokumente } from '../../src/integrations/espocrm/espocrm.types.js';
import {
  COLLECTION_FIELD_DEFINITIONS,
  collectionDescription,
  collectionName,
  documentFields,
} from '../../src/xai/collection.mapper.js';
import type { EspoCrmFake } from '../../test/fakes/espocrm/espocrm.fake.js';
import type { XaiFake } from '../../test/fakes/xai/xai.fake.js';
import { startBenchStack } from '../support/bench-stack.js';
import { startHubProcess } from '../support/hub-process.js';
import {
  counterSum,
  postAll,
  processedTopics,
  queuesIdle,
  queueCounts,
  scrapeMetrics,
} from '../support/hub-observer.js';
import { until } from '../support/ports.js';
import { commandDelta } from '../support/private-redis.js';
import { fmt, info, judged, missing, type ResultRow } from '../support/results.js';
import type { Scenario, ScenarioContext, ScenarioResult } from '../support/scenario.js';

const DOCUMENTS = 1000;
const EVENTS_PER_DOCUMENT = 10;
const CHANGED = 100;
const BATCH = 50;
/** EspoCRM sends a webhook's batches one after another; a few senders model several hooks firing. */
const SENDERS = 4;
// Ids shaped like the real systems' (17 hex digits; `file_`/`collection_` + UUID): the
// hub's metrics fold such path segments into `:id`, as they would in production.
const OWNER = { entityType: 'CBeteiligte', entityId: '6a1bbe00000000001' };
const COLLECTION_ID = `collection_${randomUUID()}`;
const espoId = (i: number) => `6a1bd0${i.toString(16).padStart(11, '0')}`;
const QUEUES = ['vmh-document', 'xai-collection'];
/** Documents (10 % with a new file) synced once before the measured storm, so the hub is warm as in production. */
const WARMUP_DOCUMENTS = 200;

const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');
const content = (i: number, version: number) =>
  Buffer.from(`Akte ${i}, Fassung ${version}\n${'Schriftsatz. '.repeat(150)}`);

/**
 * Seeds what the documents module's cheap check compares (document-sync.decision.ts):
 * every document already synced — `xaiId` a file that is a member of the owner's
 * collection, `xaiCollections` = that collection, `xaiSyncedHash` = `md5sum` = MD5
 * of the attachment, `fileStatus=synced` — so an unchanged one is "in sync"
 * without a download. All are linked to one CBeteiligte whose collection exists.
 */
function seedSynced(espo: EspoCrmFake, xai: XaiFake, count: number): string[] {
  espo.put('CBeteiligte', {
    id: OWNER.entityId,
    name: 'Bench Hausverwaltung GmbH',
    xaiCollectionId: COLLECTION_ID,
  });
  const docIds: string[] = [];
  const files: Array<{ id: string; filename: string; content: string; contentType: string }> = [];
  for (let i = 0; i < count; i++) {
    const bytes = content(i, 1);
    const filename = `akte-${i}.txt`;
    const dokumentId = espo.addAttachment({ name: filename, type: 'text/plain', bytes });
    const id = espoId(i);
    const fileId = `file_${randomUUID()}`;
    const hash = md5(bytes);
    espo.put<CDokumente>('CDokumente', {
      id,
      name: filename,
      dokumentId,
      xaiId: fileId,
      xaiCollections: [COLLECTION_ID],
      xaiSyncedHash: hash,
      md5sum: hash,
      fileStatus: 'synced',
    });
    files.push({
      id: fileId,
      filename,
      content: bytes.toString('utf8'),
      contentType: 'text/plain',
    });
    docIds.push(id);
  }
  espo.linkRecords(OWNER.entityType, OWNER.entityId, 'dokumente', docIds);
  xai.seed({
    files,
    collections: [
      {
        collection_id: COLLECTION_ID,
        collection_name: collectionName(
          OWNER.entityType,
          'Bench Hausverwaltung GmbH',
          OWNER.entityId,
        ),
        collection_description: collectionDescription(OWNER),
        field_definitions: COLLECTION_FIELD_DEFINITIONS.map((d) => ({ ...d })),
        documents: docIds.map((id, i) => ({ file_id: files[i].id, fields: documentFields(id) })),
      },
    ],
  });
  return docIds;
}

/**
 * A new file as EspoCRM records it: a new attachment in `dokumentId`, its MD5 in
 * `md5sum` and `fileStatus=geändert`. Answers each document's new MD5.
 */
function changeFiles(espo: EspoCrmFake, docIds: string[]): Map<string, string> {
  const changed = new Map<string, string>();
  for (const id of docIds) {
    const bytes = content(parseInt(id.slice(6), 16), 2);
    const dokumentId = espo.addAttachment({
      name: `akte-neu-${id}.txt`,
      type: 'text/plain',
      bytes,
    });
    espo.patch('CDokumente', id, { dokumentId, md5sum: md5(bytes), fileStatus: 'geändert' });
    changed.set(id, md5(bytes));
  }
  return changed;
}

function unsynced(espo: EspoCrmFake, changed: Map<string, string>): number {
  return [...changed].filter(([id, hash]) => {
    const d = espo.get<CDokumente>('CDokumente', id);
    return d?.fileStatus !== 'synced' || d?.xaiSyncedHash !== hash;
  }).length;
}

/** Event k is for document k mod 1000: every document's 10 events spread over the whole storm. */
function batches(docIds: string[], perDocument: number): Array<Array<{ id: string }>> {
  const events = Array.from({ length: docIds.length * perDocument }, (_, k) => ({
    id: docIds[k % docIds.length],
  }));
  const out: Array<Array<{ id: string }>> = [];
  for (let i = 0; i < events.length; i += BATCH) out.push(events.slice(i, i + BATCH));
  return out;
}

/** Upstream calls per 250 ms since `t0`: shows whether the workers were busy the whole drain. */
function upstreamTimeline(requests: Array<{ at: number }>, t0: number): number[] {
  const buckets: number[] = [];
  for (const r of requests) {
    const b = Math.max(0, Math.floor((r.at - t0) / 250));
    while (buckets.length <= b) buckets.push(0);
    buckets[b] += 1;
  }
  return buckets;
}

/** 2. Storm: 10,000 update events over 1,000 synced documents, 100 of them with a new file. */
export const stormScenario: Scenario = {
  id: 'storm',
  title: '2 Storm',
  timeoutMs: 180_000,
  async run(ctx: ScenarioContext): Promise<ScenarioResult> {
    const { settings } = ctx;
    const stack = await startBenchStack(settings, 'storm');
    const { espocrm: espo, xai } = stack.fakes;
    const all = seedSynced(espo, xai, DOCUMENTS + WARMUP_DOCUMENTS);
    const docIds = all.slice(0, DOCUMENTS);
    const warmupIds = all.slice(DOCUMENTS);
    const changed = changeFiles(
      espo,
      docIds.filter((_, i) => i % (DOCUMENTS / CHANGED) === 0),
    );
    const warmupChanged = changeFiles(
      espo,
      warmupIds.filter((_, i) => i % (DOCUMENTS / CHANGED) === 0),
    );
    const hub = await startHubProcess(stack.env, {
      label: 'storm',
      outDir: settings.outDir,
      cpuProfile: settings.cpuProfile,
      nodeArgs: settings.hubNodeArgs,
    });
    const concurrency = Number(stack.env.WORKER_CONCURRENCY);
    const webhook = `${hub.url}/vmh/webhook/document/update`;
    const idle = () => queuesIdle(ctx.redis.client, stack.prefix, QUEUES);
    try {
      const topics = await processedTopics(hub.url, stack.env.OPS_API_KEY);
      if (!topics.has('vmh.document.update')) {
        return {
          rows: ['drain time', 'uploads', 'EspoCRM reads per document', 'drain ÷ ideal'].map((m) =>
            missing('2', `storm: ${m}`),
          ),
          details: { missing: 'documents module (vmh.document.update has no step)' },
        };
      }
      ctx.log(`storm: warm-up with ${WARMUP_DOCUMENTS} other documents`);
      await postAll(webhook, batches(warmupIds, 1), SENDERS);
      await until(
        async () => (await idle()) && unsynced(espo, warmupChanged) === 0,
        'the warm-up',
        {
          timeoutMs: 60_000,
          intervalMs: 50,
        },
      );

      espo.clearLog();
      xai.clearLog();
      const uploadsBefore = xai.uploadCount;
      const redisBefore = await ctx.redis.commandCalls();
      const metricsBefore = await scrapeMetrics(hub.url, stack.env.OPS_API_KEY);
      const cpuBefore = await hub.cpuMs();

      ctx.log(`storm: ${DOCUMENTS * EVENTS_PER_DOCUMENT} events in batches of ${BATCH}`);
      const t0 = Date.now();
      await postAll(webhook, batches(docIds, EVENTS_PER_DOCUMENT), SENDERS);
      const sentMs = Date.now() - t0;
      let maxActive = 0;
      await until(
        async () => {
          const active = await ctx.redis.client.llen(`${stack.prefix}:vmh-document:active`);
          maxActive = Math.max(maxActive, active);
          return idle();
        },
        'the storm to drain',
        { timeoutMs: 120_000, intervalMs: 20 },
      );
      const drainMs = Date.now() - t0;
      const cpuMs = (await hub.cpuMs()) - cpuBefore;
      const redisDelta = commandDelta(redisBefore, await ctx.redis.commandCalls());
      const metricsAfter = await scrapeMetrics(hub.url, stack.env.OPS_API_KEY);
      const pendingChecks = (await queueCounts(ctx.redis.client, stack.prefix, 'vmh-document'))
        .pendingChecks;
      const peak = { ...(await hub.peakMemory()), heapAfterGc: await hub.heapAfterGc() };

      const espoReads = espo.requests.filter((r) => r.method === 'GET').length;
      const recordReads = espo.requests.filter(
        (r) =>
          r.method === 'GET' &&
          r.path.startsWith('/api/v1/CDokumente/') &&
          r.path.split('/').length === 5,
      ).length;
      const espoCalls = espo.requests.length;
      const xaiCalls = xai.requests.length;
      const uploads = xai.uploadCount - uploadsBefore;
      const calls = espoCalls + xaiCalls;
      const idealMs = (calls * settings.latencyMs) / concurrency;
      const stale = unsynced(espo, changed);
      const delta = (name: string, labels: Record<string, string>) =>
        counterSum(metricsAfter, name, labels) - counterSum(metricsBefore, name, labels);
      const runs =
        delta('hub_entity_lock_total', { step: 'document_sync', outcome: 'acquired' }) +
        delta('hub_entity_lock_total', { step: 'document_sync', outcome: 'trailing_run' });
      const deferred = delta('hub_entity_lock_total', { step: 'document_sync', outcome: 'busy' });
      const redisCommands = [...redisDelta.values()].reduce((a, b) => a + b, 0);
      const timeline = upstreamTimeline([...espo.requests, ...xai.requests], t0);
      ctx.log(`storm: upstream calls per 250 ms from the first event: ${timeline.join(' ')}`);

      const rows: ResultRow[] = [
        info('2', 'storm: time to drain (first event → queues idle)', fmt.s(drainMs), drainMs),
        info('2', 'storm: time to send 200 batches', fmt.s(sentMs), sentMs),
        judged('2', 'storm: uploads', uploads, fmt.int, '==', CHANGED),
        judged(
          '2',
          'storm: EspoCRM reads per document (all GETs)',
          espoReads / DOCUMENTS,
          fmt.perDoc,
          '<=',
          1.1,
        ),
        info(
          '2',
          '  of which, per document',
          Object.entries(espo.counts())
            .filter(([k]) => k.startsWith('GET '))
            .map(([k, n]) => `${k.slice(4).replace('/api/v1', '')} ${(n / DOCUMENTS).toFixed(2)}`)
            .join(', '),
        ),
        judged(
          '2',
          'storm: CDokumente record reads per document',
          recordReads / DOCUMENTS,
          fmt.perDoc,
          '<=',
          1.1,
        ),
        info(
          '2',
          'storm: sync runs per document (lock acquired + trailing)',
          (runs / DOCUMENTS).toFixed(2),
          runs,
        ),
        info('2', 'storm: xAI calls', fmt.int(xaiCalls), xaiCalls),
        info('2', 'storm: EspoCRM calls (reads + writes)', fmt.int(espoCalls), espoCalls),
        info(
          '2',
          `storm: ideal drain (${calls} calls × ${settings.latencyMs} ms ÷ ${concurrency})`,
          fmt.s(idealMs),
          idealMs,
        ),
        judged('2', 'storm: drain ÷ ideal', drainMs / idealMs, fmt.ratio, '<=', 1.5),
        info(
          '2',
          'storm: hub CPU busy during the drain',
          `${fmt.s(cpuMs)} of ${fmt.s(drainMs)} (${((100 * cpuMs) / drainMs).toFixed(0)} %)`,
          cpuMs,
        ),
        info(
          '2',
          `storm: most document jobs active at once (observed; WORKER_CONCURRENCY ${concurrency})`,
          String(maxActive),
          maxActive,
        ),
        info(
          '2',
          'storm: Redis commands per event (incl. Lua)',
          (redisCommands / (DOCUMENTS * EVENTS_PER_DOCUMENT)).toFixed(2),
          redisCommands,
        ),
        info('2', 'storm: changed documents not synced after drain', String(stale), stale),
      ];
      if (deferred > 0 || pendingChecks > 0)
        rows.push(
          info(
            '2',
            'storm: lock deferrals / pending checks left',
            `${deferred} / ${pendingChecks}`,
          ),
        );
      return {
        rows,
        peak,
        details: {
          drainMs,
          sentMs,
          uploads,
          espoReads,
          recordReads,
          espoCalls,
          xaiCalls,
          idealMs,
          runs,
          deferred,
          stale,
          cpuMs,
          maxActive,
          timeline,
          espoCounts: espo.counts(),
          xaiCounts: xai.counts(),
          redisCommands: Object.fromEntries(redisDelta),
          peak,
        },
      };
    } finally {
      await hub.stop();
      await stack.close();
    }
  },
};
