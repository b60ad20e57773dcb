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
  /** Raw figures for results.json. */
  details: Record<string, unknown>;
}

export interface Scenario {
  id: string;
  title: string;
  /** Upper bound for the whole scenario; the runner aborts it after this. */
  timeoutMs: number;
  run(ctx: ScenarioContext): Promise<ScenarioResult>;
}
