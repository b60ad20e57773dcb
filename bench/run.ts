import 'reflect-metadata';
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beteiligteScenario } from './scenarios/beteiligte.scenario.js';
import { calendarScenario } from './scenarios/calendar.scenario.js';
import { intakeScenario } from './scenarios/intake.scenario.js';
import { locksScenario } from './scenarios/locks.scenario.js';
import { scaleoutScenario } from './scenarios/scaleout.scenario.js';
import { stormScenario } from './scenarios/storm.scenario.js';
import type { BenchSettings } from './support/bench-stack.js';
import { startPrivateRedis, type PrivateRedis } from './support/private-redis.js';
import { failed, fmt, info, judged, renderTable, type ResultRow } from './support/results.js';
import type { Scenario, ScenarioResult } from './support/scenario.js';

/** Kept equal to NODE_OPTIONS in deploy/bitbylaw-hub.service and the Dockerfile. */
const PRODUCTION_NODE_ARGS = '--max-old-space-size=192 --max-semi-space-size=16';

/**
 * `npm run bench`: the issue-10 benchmark. A private redis-server, the four fakes
 * in this process, the hub in a child process per scenario; prints one table and
 * writes bench/results.json. Every wait is bounded and the whole run is capped, so
 * it always ends by itself.
 *
 * Knobs (environment): BENCH_LATENCY_MS (5), BENCH_DURATION_S (10),
 * BENCH_CONNECTIONS (32), BENCH_ONLY=intake,storm,..., BENCH_CPU_PROF=1 (hub CPU
 * profiles into .build/bench-out; =window profiles only between a scenario's CPU
 * readings), BENCH_HUB_<VAR>=value (a hub setting to try,
 * e.g. BENCH_HUB_WORKER_CONCURRENCY=16), BENCH_HUB_NODE_ARGS="--max-old-space-size=160"
 * (node flags for the hub process; with --expose-gc the heap left after a full GC is shown),
 * BENCH_NODE=current|<path to node> (the runtime; default Node 24, see productionNode).
 */
const RUN_CAP_MS = 9.5 * 60_000;
const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

const scenarios: Scenario[] = [
  locksScenario,
  intakeScenario,
  stormScenario,
  beteiligteScenario,
  calendarScenario,
  scaleoutScenario,
];

/**
 * The hub is measured on the runtime production runs, Node 24 (the Dockerfile's
 * node:24, the unit's notes): started on another Node, the benchmark runs itself
 * again on Node 24, installed by scripts/node24.sh as CI does (npm registry only),
 * so the fakes, the load and every hub process share it. BENCH_NODE=current keeps
 * the Node it was started with; BENCH_NODE=<path> names a binary.
 */
function productionNode(): string | undefined {
  const wanted = process.env.BENCH_NODE ?? '';
  if (wanted === 'current' || process.env.BENCH_REEXEC === '1') return undefined;
  if (wanted !== '') return wanted;
  if (process.versions.node.startsWith('24.')) return undefined;
  try {
    const dir = execFileSync('bash', [join(repoRoot, 'scripts', 'node24.sh')], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    }).trim();
    return join(dir, 'node');
  } catch {
    console.error(`Node 24 is not available: measuring on this machine's Node ${process.version}`);
    return undefined;
  }
}

function intEnv(name: string, fallback: number): number {
  const v = process.env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a non-negative number`);
  return n;
}

function settingsFromEnv(redisPort: number): BenchSettings {
  const hubOverrides: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env))
    if (k.startsWith('BENCH_HUB_') && k !== 'BENCH_HUB_NODE_ARGS' && v !== undefined)
      hubOverrides[k.slice('BENCH_HUB_'.length)] = v;
  return {
    latencyMs: intEnv('BENCH_LATENCY_MS', 5),
    durationS: intEnv('BENCH_DURATION_S', 10),
    connections: intEnv('BENCH_CONNECTIONS', 32),
    redisPort,
    runId: randomBytes(3).toString('hex'),
    hubOverrides,
    outDir: join(repoRoot, '.build', 'bench-out'),
    cpuProfile:
      process.env.BENCH_CPU_PROF === 'window'
        ? 'window'
        : process.env.BENCH_CPU_PROF === '1'
          ? 'whole'
          : false,
    // The heap cap the systemd unit and the Dockerfile run the hub with, unless overridden.
    hubNodeArgs: (process.env.BENCH_HUB_NODE_ARGS ?? PRODUCTION_NODE_ARGS)
      .split(' ')
      .filter(Boolean),
  };
}

function machine(): string[] {
  const cpus = os.cpus();
  let redisVersion = 'unknown';
  try {
    redisVersion = execFileSync('redis-server', ['--version'], { encoding: 'utf8' }).trim();
  } catch {
    // reported as unknown; startPrivateRedis fails with the reason
  }
  return [
    `CPU: ${cpus[0]?.model ?? 'unknown'} × ${cpus.length}`,
    `Memory: ${(os.totalmem() / 1024 ** 3).toFixed(1)} GB total, load average ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
    `Node ${process.version} (every process of the run; production runs Node 24), ${os.type()} ${os.release()}, ${redisVersion}`,
  ];
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} exceeded ${ms / 1000} s`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/**
 * Scenario 6: the peak RSS of every hub process that ran, judged per scenario (and per
 * process when a scenario ran several). A scenario that runs a hub but brought back no
 * peak, or failed before it could, reads MISSED / ERROR instead of dropping the target.
 */
function memoryRows(ran: Scenario[], results: Map<string, ScenarioResult>): ResultRow[] {
  const rows: ResultRow[] = [];
  const limit = 250 * 1024 * 1024;
  const target = `≤ ${fmt.mb(limit)}`;
  for (const scenario of ran) {
    if (scenario.runsHub === false) continue;
    const during = `during ${scenario.title.split(' ')[0]}`;
    const result = results.get(scenario.id);
    const peaks = [
      ...(result?.peak ? [{ label: '', peak: result.peak }] : []),
      ...(result?.peaks ?? []).map((p) => ({ label: ` (${p.label})`, peak: p.peak })),
    ];
    if (peaks.length === 0) {
      const [value, status] = result
        ? (['n/a (the scenario returned no peak)', 'MISSED'] as const)
        : (['n/a (the scenario failed)', 'ERROR'] as const);
      rows.push({ scenario: '6', metric: `peak RSS of the hub ${during}`, value, target, status });
      continue;
    }
    for (const { label, peak } of peaks) {
      const what = `${during}${label}`;
      rows.push(judged('6', `peak RSS of the hub ${what}`, peak.rss, fmt.mb, '<=', limit));
      const m = peak.atPeak;
      rows.push(
        info(
          '6',
          `  at the peak ${what}: heap used / total, external`,
          `${fmt.mb(m.heapUsed)} / ${fmt.mb(m.heapTotal)}, ${fmt.mb(m.external)}`,
        ),
      );
      if (peak.heapAfterGc !== undefined)
        rows.push(info('6', `  heap left after a full GC ${what}`, fmt.mb(peak.heapAfterGc)));
    }
  }
  return rows;
}

async function main(): Promise<void> {
  const node = productionNode();
  if (node) {
    const again = spawnSync(node, [fileURLToPath(import.meta.url)], {
      stdio: 'inherit',
      env: { ...process.env, BENCH_REEXEC: '1' },
    });
    process.exit(again.status ?? 1);
  }
  const started = Date.now();
  // Exit through process.exit so the 'exit' hooks stop the private redis-server.
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.once(signal, () => process.exit(130));
  const cap = setTimeout(() => {
    console.error(`benchmark exceeded ${RUN_CAP_MS / 60_000} minutes; stopping`);
    process.exit(2);
  }, RUN_CAP_MS);

  const header = machine();
  header.forEach((l) => console.log(l));
  let redis: PrivateRedis | undefined;
  const rows: ResultRow[] = [];
  const results = new Map<string, ScenarioResult>();
  let errors = 0;
  try {
    redis = await startPrivateRedis();
    const settings = settingsFromEnv(redis.port);
    const only = (process.env.BENCH_ONLY ?? '').split(',').filter(Boolean);
    console.log(
      `Upstream latency ${settings.latencyMs} ms, ${settings.connections} connections × ${settings.durationS} s, ` +
        `private redis-server on port ${redis.port}, run ${settings.runId}` +
        (Object.keys(settings.hubOverrides).length
          ? `, hub overrides ${JSON.stringify(settings.hubOverrides)}`
          : '') +
        (settings.hubNodeArgs.length ? `, hub node flags ${settings.hubNodeArgs.join(' ')}` : ''),
    );
    for (const scenario of scenarios) {
      if (only.length > 0 && !only.includes(scenario.id)) continue;
      const t0 = Date.now();
      console.log(`\n== ${scenario.title}`);
      try {
        const result = await withTimeout(
          scenario.run({ settings, redis, log: (m) => console.log(`   ${m}`) }),
          scenario.timeoutMs,
          scenario.title,
        );
        results.set(scenario.id, result);
        rows.push(...result.rows);
      } catch (err) {
        errors += 1;
        const message = err instanceof Error ? err.message : String(err);
        console.error(`   ${scenario.title} failed: ${message}`);
        rows.push(failed(scenario.title.split(' ')[0], message));
      }
      console.log(`   (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    }
    rows.push(
      ...memoryRows(
        scenarios.filter((s) => only.length === 0 || only.includes(s.id)),
        results,
      ),
    );

    rows.sort((a, b) => Number(a.scenario) - Number(b.scenario));
    const table = renderTable(rows);
    console.log(`\n${header.join('\n')}\n\n${table}\n`);
    const met = rows.filter((r) => r.status === 'MET').length;
    const judgedCount = rows.filter((r) => r.status === 'MET' || r.status === 'MISSED').length;
    console.log(
      `${met} of ${judgedCount} targets met; total time ${((Date.now() - started) / 1000).toFixed(0)} s`,
    );
    writeFileSync(
      join(repoRoot, 'bench', 'results.json'),
      JSON.stringify(
        {
          at: new Date().toISOString(),
          machine: header,
          settings: { ...settings, outDir: undefined },
          rows,
          details: Object.fromEntries(
            [...results].map(([id, r]) => [id, { ...r.details, rows: undefined }]),
          ),
        },
        null,
        2,
      ),
    );
  } finally {
    await redis?.stop();
    clearTimeout(cap);
  }
  process.exit(errors > 0 ? 1 : 0);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  process.exit(1);
});
