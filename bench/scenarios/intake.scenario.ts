import { randomBytes } from 'node:crypto';
import { startBenchStack } from '../support/bench-stack.js';
import { startHubProcess, type HubProcess } from '../support/hub-process.js';
import { combineLoads, type LoadResult } from '../support/load.js';
import { startPlainNest, type PlainNestProcess } from '../support/plain-nest-process.js';
import { fmt, info, judged, type ResultRow } from '../support/results.js';
import type { Scenario, ScenarioContext, ScenarioResult } from '../support/scenario.js';
import { addCpu, cpuDuring, type CpuSplit } from '../support/cpu.js';
import {
  addTallies,
  settle,
  storedEventIds,
  tallyJobs,
  type JobTally,
} from '../support/signed-jobs.js';
import {
  makeBodyPool,
  postFixed,
  postPool,
  type BodyPool,
  type PoolLoadResult,
  type WebhookSigner,
} from '../support/signed-load.js';

const UPDATE = '/vmh/webhook/document/update';
/** The hub's bare route (bench.module.ts): the guard's route name is `document.update`. */
const BARE = '/bench/webhook/document/update';
const BATCH = 50;
const WARMUP_S = 2;
/**
 * Bodies per second of load a pool holds: above what the fastest route answers on
 * this kind of machine, so no body (and no id) is sent twice in a run and nothing
 * can be coalesced. Should a pool run out anyway, the run says so and the job count
 * still compares distinct ids (a repeated id adds no job).
 */
const ONE_ID_BODIES_PER_S = 16_000;
const BATCH_BODIES_PER_S = 1_500;
/**
 * The signed intake and plain NestJS take turns, this many windows each, and each side's
 * figure is its windows together: this VM's speed drifts within minutes, and with one
 * window each, a single slow window of either side moved the ratio by a third.
 */
const WINDOWS = 2;

interface SignedWindow {
  pool: BodyPool;
  hub: PoolLoadResult;
  hubCpu: CpuSplit;
  plain: PoolLoadResult;
  plainCpu: CpuSplit;
}

/**
 * 1. Intake, with production settings: webhook signatures on (one EspoCRM webhook,
 * bound to `document.update`), every request signed with EspoCRM 9's `Signature`.
 * The reference is a plain NestJS app on the same adapter in a process of its own;
 * the hub's own bare route and an unsigned hub are shown beside it. The hub runs as
 * `APP_ROLE=api`: no worker takes the (debounced) jobs while the load runs, so every
 * accepted event is still in Redis afterwards, where the scenario finds its job.
 */
export const intakeScenario: Scenario = {
  id: 'intake',
  title: '1 Intake',
  timeoutMs: 180_000,
  async run(ctx: ScenarioContext): Promise<ScenarioResult> {
    const { settings } = ctx;
    const redis = ctx.redis.client;
    // EspoCRM's form: a 17-character hex webhook id and a 32-character secret.
    const signer: WebhookSigner = {
      webhookId: randomBytes(9).toString('hex').slice(0, 17),
      secret: randomBytes(16).toString('hex'),
    };
    const stack = await startBenchStack(settings, 'intake', {
      APP_ROLE: 'api',
      ESPOCRM_WEBHOOK_SECRETS: `${signer.webhookId}:${signer.secret}@document.update`,
    });
    const queueKey = `${stack.prefix}:vmh-document`;
    const hubOptions = (label: string) => ({
      label,
      outDir: settings.outDir,
      cpuProfile: settings.cpuProfile,
      nodeArgs: settings.hubNodeArgs,
    });
    let hub: HubProcess | undefined;
    let plain: PlainNestProcess | undefined;
    let unsignedHub: HubProcess | undefined;
    const pool = (
      prefix: string,
      perS: number,
      seconds: number,
      idsPerBody: number,
      signed = true,
    ) =>
      makeBodyPool({
        prefix: `${prefix}${settings.runId}`,
        size: Math.ceil(perS * seconds),
        idsPerBody,
        signer: signed ? signer : undefined,
      });
    const load = (url: string, p: BodyPool, durationS = settings.durationS) =>
      postPool({ url, pool: p, connections: settings.connections, durationS });
    try {
      [hub, plain] = await Promise.all([
        startHubProcess(stack.env, hubOptions('intake')),
        startPlainNest({
          outDir: settings.outDir,
          cpuProfile: settings.cpuProfile,
          nodeArgs: settings.hubNodeArgs,
        }),
      ]);
      const warm = pool('w', ONE_ID_BODIES_PER_S, WARMUP_S, 1);
      ctx.log(`intake: warming up (${WARMUP_S} s each: intake, bare route, plain NestJS)`);
      await load(`${hub.url}${UPDATE}`, warm, WARMUP_S);
      await load(`${hub.url}${BARE}`, warm, WARMUP_S);
      await load(`${plain.url}${UPDATE}`, warm, WARMUP_S);

      const hubUrl = hub.url;
      const plainUrl = plain.url;
      const windows: SignedWindow[] = [];
      for (let w = 0; w < WINDOWS; w++) {
        // A pool per window: no id reaches the hub twice, so every accepted event is a job.
        const ones = pool(`s${w}`, ONE_ID_BODIES_PER_S, settings.durationS, 1);
        ctx.log(
          `intake: window ${w + 1} of ${WINDOWS}, ${settings.connections} connections × ${settings.durationS} s, ` +
            `signed 1-id arrays (${fmt.int(ones.bodies.length)} distinct signed bodies), hub then plain NestJS`,
        );
        // The hub's CPU readings around the load bound its profile with BENCH_CPU_PROF=window.
        await hub.cpuMs();
        const h = await cpuDuring(hub.pid, redis, () => load(`${hubUrl}${UPDATE}`, ones));
        await hub.cpuMs();
        await settle(redis, queueKey);
        // The reference takes the same signed bodies, through the same generator: it stores nothing.
        const r = await cpuDuring(plain.pid, redis, () => load(`${plainUrl}${UPDATE}`, ones));
        windows.push({
          pool: ones,
          hub: h.result,
          hubCpu: h.cpu,
          plain: r.result,
          plainCpu: r.cpu,
        });
      }
      const ones = windows[0].pool;
      const single = combineLoads(windows.map((w) => w.hub));
      const reference = combineLoads(windows.map((w) => w.plain));
      const singleCpu = addCpu(windows.map((w) => w.hubCpu));
      const referenceCpu = addCpu(windows.map((w) => w.plainCpu));
      ctx.log('intake: the hub’s bare route, same load');
      const bare = await load(`${hub.url}${BARE}`, ones);

      const batches = pool('b', BATCH_BODIES_PER_S, settings.durationS, BATCH);
      ctx.log(`intake: signed 50-id arrays (${fmt.int(batches.bodies.length)} distinct bodies)`);
      const batched = await load(`${hub.url}${UPDATE}`, batches);
      await settle(redis, queueKey);

      const checkS = Math.max(2, Math.ceil(settings.durationS / 2));
      ctx.log(`intake: load generator check, plain NestJS with one fixed body (${checkS} s)`);
      const fixed = await postFixed({
        url: `${plain.url}${UPDATE}`,
        connections: settings.connections,
        durationS: checkS,
        body: ones.bodies[0],
        signature: ones.signatures?.[0],
      });
      const pooledCheck = await load(`${plain.url}${UPDATE}`, ones, checkS);

      const peak = { ...(await hub.peakMemory()), heapAfterGc: await hub.heapAfterGc() };
      const stored = await storedEventIds(redis, queueKey);
      const tally1 = addTallies(windows.map((w) => tallyJobs(w.pool, w.hub.answers, stored)));
      const tally50 = tallyJobs(batches, batched.answers, stored);
      await hub.stop();
      hub = undefined;
      await plain.stop();
      plain = undefined;

      // Signature cost: the same hub without secrets (production allows that only explicitly).
      const unsignedEnv = { ...stack.env, ALLOW_UNSIGNED_WEBHOOKS: 'true' };
      delete (unsignedEnv as Record<string, string | undefined>).ESPOCRM_WEBHOOK_SECRETS;
      unsignedHub = await startHubProcess(unsignedEnv, hubOptions('intake-unsigned'));
      ctx.log('intake: unsigned hub (no webhook secrets), warm-up and the same 1-id load');
      await load(
        `${unsignedHub.url}${UPDATE}`,
        pool('uw', ONE_ID_BODIES_PER_S, WARMUP_S, 1, false),
        WARMUP_S,
      );
      const unsignedOnes = pool('u', ONE_ID_BODIES_PER_S, settings.durationS, 1, false);
      const unsigned = await load(`${unsignedHub.url}${UPDATE}`, unsignedOnes);
      await settle(redis, queueKey);
      const tallyU = tallyJobs(
        unsignedOnes,
        unsigned.answers,
        await storedEventIds(redis, queueKey),
      );
      const unsignedPeak = {
        ...(await unsignedHub.peakMemory()),
        heapAfterGc: await unsignedHub.heapAfterGc(),
      };

      const eventsPerS = (batched.ok * BATCH) / batched.durationS;
      const jobsRow = (label: string, t: JobTally) =>
        judged(
          '1',
          `${label}: jobs in Redis = events acknowledged 2xx`,
          t.forAcknowledged + t.stray,
          fmt.int,
          '==',
          t.acknowledged,
        );
      const rows: ResultRow[] = [
        judged(
          '1',
          `signed intake 1-id ÷ plain NestJS (requests/s, ${WINDOWS} alternating windows each)`,
          single.rps / reference.rps,
          fmt.ratio,
          '>=',
          0.5,
        ),
        info('1', 'signed intake 1-id: requests/s', fmt.rps(single.rps), single.rps),
        info(
          '1',
          '  per window: signed intake ÷ plain NestJS (requests/s)',
          windows
            .map(
              (w) =>
                `${fmt.ratio(w.hub.rps / w.plain.rps)} (${fmt.rps(w.hub.rps)} / ${fmt.rps(w.plain.rps)})`,
            )
            .join(', '),
        ),
        info(
          '1',
          'CPU per answered request, hub / Redis / load generator (2 cores shared)',
          `${perRequest(singleCpu, single)} (intake); ${perRequest(referenceCpu, reference)} (plain NestJS)`,
        ),
        info(
          '1',
          'plain NestJS (Express, one @Post): requests/s, p50 / p99',
          `${fmt.rps(reference.rps)}, ${fmt.ms(reference.p50)} / ${fmt.ms(reference.p99)}`,
          reference.rps,
        ),
        info(
          '1',
          'hub bare route, signed (no enqueue): requests/s, p50 / p99',
          `${fmt.rps(bare.rps)}, ${fmt.ms(bare.p50)} / ${fmt.ms(bare.p99)}`,
          bare.rps,
        ),
        info(
          '1',
          'signed intake ÷ bare route',
          fmt.ratio(single.rps / bare.rps),
          single.rps / bare.rps,
        ),
        info(
          '1',
          'signature cost: unsigned intake 1-id requests/s, signed ÷ unsigned',
          `${fmt.rps(unsigned.rps)}, ${fmt.ratio(single.rps / unsigned.rps)}`,
          single.rps / unsigned.rps,
        ),
        info(
          '1',
          `load generator check (${checkS} s, plain NestJS): fixed body / body pool`,
          `${fmt.rps(fixed.rps)} / ${fmt.rps(pooledCheck.rps)}`,
          pooledCheck.rps / fixed.rps,
        ),
        info('1', 'signed intake 1-id: p50', fmt.ms(single.p50), single.p50),
        judged('1', 'signed intake 1-id: p99', single.p99, fmt.ms, '<=', 50),
        judged('1', 'signed intake 50-id: events accepted/s', eventsPerS, fmt.rps, '>=', 10_000),
        info(
          '1',
          'signed intake 50-id: requests/s, p50 / p99',
          `${fmt.rps(batched.rps)}, ${fmt.ms(batched.p50)} / ${fmt.ms(batched.p99)}`,
        ),
        jobsRow('signed intake 1-id', tally1),
        jobsRow('signed intake 50-id', tally50),
        info(
          '1',
          '  not counted: jobs of requests still in flight when the load stopped',
          `${fmt.int(tally1.inFlight)} (${tally1.unanswered} requests, 1-id), ` +
            `${fmt.int(tally50.inFlight)} (${tally50.unanswered} requests × ${BATCH}, 50-id)`,
        ),
        info(
          '1',
          'unsigned intake 1-id: jobs in Redis / events acknowledged 2xx',
          `${fmt.int(tallyU.forAcknowledged + tallyU.stray)} / ${fmt.int(tallyU.acknowledged)}`,
        ),
      ];
      const runs: Array<[string, LoadResult & Partial<PoolLoadResult>]> = [
        ...windows.flatMap((w, i): Array<[string, PoolLoadResult]> => [
          [`signed 1-id, window ${i + 1}`, w.hub],
          [`plain NestJS, window ${i + 1}`, w.plain],
        ]),
        ['bare', bare],
        ['signed 50-id', batched],
        ['unsigned 1-id', unsigned],
        ['generator check, fixed body', fixed],
        ['generator check, pool', pooledCheck],
      ];
      for (const [name, r] of runs) {
        if (r.non2xx > 0 || r.errors > 0)
          rows.push(
            info(
              '1',
              `${name}: failed requests`,
              `${r.non2xx} non-2xx ${JSON.stringify(r.statusCodes)}, ${r.errors} errors`,
            ),
          );
        // Only where ids are stored: a repeated id there is coalesced and adds no work.
        if (r.reused && (windows.some((w) => w.hub === r) || r === batched || r === unsigned))
          rows.push(info('1', `${name}: bodies sent twice (pool too small)`, fmt.int(r.reused)));
      }
      const strip = ({ answers: _a, ...r }: PoolLoadResult) => r;
      return {
        rows,
        peak,
        peaks: [{ label: 'unsigned', peak: unsignedPeak }],
        details: {
          single,
          reference,
          windows: windows.map((w) => ({ hub: strip(w.hub), plain: strip(w.plain) })),
          bare: strip(bare),
          batched: strip(batched),
          unsigned: strip(unsigned),
          generatorCheck: { fixed, pooled: strip(pooledCheck) },
          jobs: { oneId: tally1, fiftyId: tally50, unsigned: tallyU },
          eventsPerS,
          peak,
        },
      };
    } finally {
      await Promise.all([hub?.stop(), plain?.stop(), unsignedHub?.stop()]);
      await stack.close();
      await ctx.redis.flush();
    }
  },
};

/** µs of CPU per 2xx answer on each side of a load run. */
function perRequest(cpu: CpuSplit, load: { ok: number }): string {
  const us = (ms: number) => fmt.us((ms * 1000) / Math.max(1, load.ok));
  return `${us(cpu.target)} / ${us(cpu.redis)} / ${us(cpu.bench)}`;
}
