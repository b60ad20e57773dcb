import type { BenchSettings } from './bench-stack.js';
import type { PeakMemory } from './hub-process.js';
import type { PrivateRedis } from './private-redis.js';
import type { ResultRow } from './results.js';

export interface ScenarioContext {
  settings: BenchSettings;
  redis: PrivateRedis;
  log(message: string): void;
}

export interface ScenarioResult {
  rows: ResultRow[];
  /** Peak memory of the hub process during the scenario, when it ran one. */
  peak?: PeakMemory;
  /** Peak memory of each hub process, when the scenario ran several (e.g. `worker 1`, `api`). */
  peaks?: Array<{ label: string; peak: PeakMemory }>;
  /** Raw figures for results.json. */
  details: Record<string, unknown>;
}

export interface Scenario {
  id: string;
  title: string;
  /** Upper bound for the whole scenario; the runner aborts it after this. */
  timeoutMs: number;
  /**
   * Whether the scenario runs the hub (default true): then its result must carry
   * `peak` or `peaks`, and the peak RSS target is judged (or missed) for it.
   */
  runsHub?: boolean;
  run(ctx: ScenarioContext): Promise<ScenarioResult>;
}
