import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  RUN_DIR,
  currentRun,
  figuresOfThisRun,
  reportFigures,
  runIdOf,
  TABLE_HEADER,
  tableRow,
} from './support/chaos-run.js';
import { scanForSecrets } from './support/scenario-kit.js';

/**
 * Scenario 8: every secret was set to a distinctive value and the hubs of the
 * scenarios before this one logged at debug level — in-process through the hub's own
 * logger into files, and the worker processes' whole stdout/stderr. Not one secret,
 * and not one access token the fakes issued (Google's and Advoware's), may appear
 * anywhere in that output. Runs last (the sequencer orders by number) and prints the
 * table of every scenario's figures.
 *
 * It scans the folders of scenarios 1–7 written by THIS run (each stamped with the run
 * id the sequencer wrote when Jest started) and fails when one is missing or stale: a
 * scan of older or fewer logs proves nothing about this code. Run the whole suite
 * (`npm run test:chaos`), not this file alone.
 */
const SCANNED = [1, 2, 3, 4, 5, 6, 7];

describe('scenario 8: secrets never reach a log', () => {
  it('finds none of the configured secrets or issued tokens in the log output of scenarios 1–7', () => {
    const started = Date.now();
    const run = currentRun();
    expect(run).toBeDefined();
    const folders = existsSync(RUN_DIR)
      ? readdirSync(RUN_DIR, { withFileTypes: true })
          .filter((d) => d.isDirectory())
          .map((d) => ({ n: Number(/^(\d+)-/.exec(d.name)?.[1]), dir: join(RUN_DIR, d.name) }))
      : [];
    const problems: string[] = [];
    const dirs: string[] = [];
    for (const n of SCANNED) {
      const mine = folders.filter((f) => f.n === n && runIdOf(f.dir) === run?.id);
      if (!run?.scenarios.includes(n))
        problems.push(`scenario ${n} is not part of this run (run the whole chaos suite)`);
      else if (mine.length !== 1)
        problems.push(`scenario ${n}: ${mine.length} folders of this run (want 1)`);
      else if (!existsSync(join(mine[0].dir, 'needles.json')))
        problems.push(`scenario ${n}: no needles.json (did it finish?)`);
      else dirs.push(mine[0].dir);
    }
    expect(problems).toEqual([]);

    let files = 0;
    let bytes = 0;
    let needles = 0;
    const tokenKinds = new Map<string, number>();
    const leaks: string[] = [];
    for (const dir of dirs) {
      const list = JSON.parse(readFileSync(join(dir, 'needles.json'), 'utf8')) as Array<{
        name: string;
        value: string;
      }>;
      const logs = readdirSync(dir)
        .filter((f) => f.endsWith('.log'))
        .map((f) => join(dir, f));
      // Every scenario's hubs logged something; a folder without logs would be scanned for nothing.
      expect(logs.map((l) => l.split('/').pop())).not.toEqual([]);
      const report = scanForSecrets(logs, list);
      files += report.files;
      bytes += report.bytesScanned;
      needles += list.length;
      const tokens = new Map(
        list
          .filter((x) => x.name.endsWith('access token'))
          .map((x) => [x.value, x.name.toLowerCase()]),
      );
      for (const name of tokens.values()) tokenKinds.set(name, (tokenKinds.get(name) ?? 0) + 1);
      leaks.push(...report.leaks);
    }
    // A scan of nothing proves nothing: debug logging must have produced output, and the
    // tokens the hub held (scenario 3 syncs calendars, so Google issued some) are searched.
    expect(bytes).toBeGreaterThan(100_000);
    expect(tokenKinds.get('google-calendar access token') ?? 0).toBeGreaterThan(0);
    expect(tokenKinds.get('advoware access token') ?? 0).toBeGreaterThan(0);
    expect(leaks).toEqual([]);

    reportFigures({
      n: 8,
      title: 'Secrets in logs',
      figures: [
        ['scenarios scanned', dirs.map((d) => d.split('/').pop()).join(', ')],
        ['log files', files],
        ['MB scanned', (bytes / 1024 / 1024).toFixed(1)],
        ['secret values searched', needles],
        [
          'of them issued tokens',
          [...tokenKinds].map(([k, v]) => `${v} ${k.replace(' access token', '')}`).join(', '),
        ],
        ['occurrences', leaks.length],
      ],
      seconds: (Date.now() - started) / 1000,
    });
    process.stdout.write(`\n${TABLE_HEADER}\n${figuresOfThisRun().map(tableRow).join('\n')}\n`);
  });
});
