import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
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

/** A fresh directory for one scenario's files (the previous run's are removed). */
export function scenarioDir(id: string): string {
  const dir = join(RUN_DIR, id);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
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
  writeFileSync(join(RUN_DIR, `figures-${f.n}.json`), JSON.stringify(f));
  process.stdout.write(`\nCHAOS ${tableRow(f)}\n`);
}

/** Figures of every scenario that reported during this process's run, by number. */
export function figuresOfThisRun(): Figures[] {
  const started = Date.now() - process.uptime() * 1000;
  if (!existsSync(RUN_DIR)) return [];
  return readdirSync(RUN_DIR)
    .filter((name) => /^figures-\d+\.json$/.test(name))
    .map((name) => join(RUN_DIR, name))
    .filter((path) => statSync(path).mtimeMs >= started)
    .map((path) => JSON.parse(readFileSync(path, 'utf8')) as Figures)
    .sort((a, b) => a.n - b.n);
}

/** Seconds since `startedAt` (ms), for the figures. */
export function secondsSince(startedAt: number): number {
  return (Date.now() - startedAt) / 1000;
}
