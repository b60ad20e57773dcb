import { AppConfig } from '../../src/config/app-config.js';
import { startFakeStack, type FakeStack } from '../../test/fakes/fake-stack.js';
import { testEnv } from '../../test/support/test-env.js';
import type { CpuProfileMode } from './cpu.js';
import { freePort } from './ports.js';

export interface BenchSettings {
  /** Upstream latency of every fake route, in ms. */
  latencyMs: number;
  redisPort: number;
  /** Unique per run; each scenario appends its own suffix. */
  runId: string;
  /** `BENCH_HUB_<VAR>` from the benchmark's environment: hub settings to try (e.g. WORKER_CONCURRENCY). */
  hubOverrides: Record<string, string>;
  outDir: string;
  /** 'whole': the hub's lifetime; 'window': only between a scenario's CPU readings. */
  cpuProfile: CpuProfileMode;
  /** BENCH_HUB_NODE_ARGS: node flags for the hub process. */
  hubNodeArgs: string[];
  /** Seconds per autocannon run. */
  durationS: number;
  connections: number;
}

export interface BenchStack {
  fakes: FakeStack;
  /** The complete environment for the hub process. */
  env: Record<string, string>;
  prefix: string;
  close(): Promise<void>;
}

/** Never fires during a run: a cron that did would add unrelated load to a scenario. */
const NEVER = '0 0 0 1 1 *';

/**
 * The four fakes on free loopback ports and a hub environment pointing at them,
 * with production settings (debounce, lock TTL, backoff, concurrency) rather than
 * the test suite's shortened ones, the benchmark's own Redis and queue prefix, and
 * `LOG_LEVEL=warn` so a line per job does not become the thing being measured.
 */
export async function startBenchStack(
  settings: BenchSettings,
  scenario: string,
  overrides: Record<string, string> = {},
): Promise<BenchStack> {
  const [espo, advo, xai, google] = await Promise.all([
    freePort(),
    freePort(),
    freePort(),
    freePort(),
  ]);
  const prefix = `bench${settings.runId}${scenario}`;
  const base = testEnv(
    {
      espocrm: `http://127.0.0.1:${espo}/api/v1`,
      advoware: `http://127.0.0.1:${advo}`,
      advowareAuth: `http://127.0.0.1:${advo}/api/v1/Token`,
      xai: `http://127.0.0.1:${xai}`,
      google: `http://127.0.0.1:${google}/`,
      googleToken: `http://127.0.0.1:${google}/token`,
    },
    {
      NODE_ENV: 'production',
      LOG_FORMAT: 'json',
      LOG_LEVEL: 'warn',
      REDIS_HOST: '127.0.0.1',
      REDIS_PORT: String(settings.redisPort),
      QUEUE_PREFIX: prefix,
      WORKER_CONCURRENCY: '8',
      WEBHOOK_DEBOUNCE_MS: '1000',
      JOB_BACKOFF_BASE_MS: '2000',
      JOB_BACKOFF_MAX_MS: '300000',
      LOCK_TTL_MS: '30000',
      GOOGLE_SERVICE_ACCOUNT_EMAIL: 'hub-bench@bitbylaw-bench.iam.gserviceaccount.com',
      VMH_BETEILIGTE_SYNC_CRON: NEVER,
      CALENDAR_SYNC_CRON: NEVER,
      CALENDAR_SYNC_ENABLED: 'false',
      ...overrides,
      ...settings.hubOverrides,
    },
  );
  const env = Object.fromEntries(
    Object.entries(base).filter((e): e is [string, string] => typeof e[1] === 'string'),
  );
  // The fakes need only the URLs and credentials; they make the calendar's key themselves.
  const fakes = await startFakeStack(
    AppConfig.fromEnv({ ...env, CALENDAR_SYNC_ENABLED: 'false' }),
    {
      latencyMs: settings.latencyMs,
      logBodies: false,
    },
  );
  return {
    fakes,
    env: { ...env, ...fakes.env },
    prefix,
    close: () => fakes.close(),
  };
}
