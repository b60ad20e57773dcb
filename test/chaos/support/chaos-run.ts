import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Where a chaos run keeps what outlives one test file: each scenario's logs (for the
 * secret scan of scenario 8), the needles to search them for, and its figures (for
 * the table printed at the end). Under `.build/`, which git ignores.
 */
export const RUN_DIR = join(
  resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..'),
  '.build',
  'chaos',
);

export interface ChaosRun {
  /** Written by the sequencer (scenario-order.js) when Jest starts the suite. */
  id: string;
  startedAt: string;
  /** Scenario numbers of the files in this run. */
  scenarios: number[];
}

/** The run Jest is executing now; `undefined` outside `npm run test:chaos`. */
export function currentRun(): ChaosRun | undefined {
  const file = join(RUN_DIR, 'run.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as ChaosRun) : undefined;
}

/** The id a scenario stamped its folder with (`run-id`), or undefined for an unstamped one. */
export function runIdOf(dir: string): string | undefined {
  const file = join(dir, 'run-id');
  return existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined;
}

/**
 * A fresh directory for one scenario's files (the previous run's are removed),
 * stamped with this run's id so scenario 8 can tell its folders from older ones.
 */
export function scenarioDir(id: string): string {
  const dir = join(RUN_DIR, id);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'run-id'), currentRun()?.id ?? 'no-run');
  return dir;
}

export interface Figures {
  /** Scenario number, as in the issue. */
  n: number;
  title: string;
  /** What happened, as `label value` pairs in the order they are printed. */
  figures: Array<[string, string | number]>;
  seconds: number;
}

export function tableRow(f: Figures): string {
  const figures = f.figures.map(([k, v]) => `${k} ${v}`).join(', ');
  return `| ${f.n} | ${f.title} | ${figures} | ${f.seconds.toFixed(1)} s |`;
}

export const TABLE_HEADER = '| # | scenario | figures | time |\n|---|---|---|---|';

/**
 * Prints the scenario's table line to stdout at once (not through Jest's console,
 * which adds stack traces) and keeps it for the summary.
 */
export function reportFigures(f: Figures): void {
  mkdirSync(RUN_DIR, { recursive: true });
  writeFileSync(
    join(RUN_DIR, `figures-${f.n}.json`),
    JSON.stringify({ ...f, runId: currentRun()?.id }),
  );
  process.stdout.write(`\nCHAOS ${tableRow(f)}\n`);
}

/** Figures of every scenario that reported during this run, by number. */
export function figuresOfThisRun(): Figures[] {
  const runId = currentRun()?.id;
  if (!existsSync(RUN_DIR) || !runId) return [];
  return readdirSync(RUN_DIR)
    .filter((name) => /^figures-\d+\.json$/.test(name))
    .map(
      (name) =>
        JSON.parse(readFileSync(join(RUN_DIR, name), 'utf8')) as Figures & { runId?: string },
    )
    .filter((f) => f.runId === runId)
    .sort((a, b) => a.n - b.n);
}

/** Seconds since `startedAt` (ms), for the figures. */
export function secondsSince(startedAt: number): number {
  return (Date.now() - startedAt) / 1000;
}
