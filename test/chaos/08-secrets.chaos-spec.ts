import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  RUN_DIR,
  figuresOfThisRun,
  reportFigures,
  TABLE_HEADER,
  tableRow,
} from './support/chaos-run.js';
import { scanForSecrets } from './support/scenario-kit.js';

/**
 * Scenario 8: every secret was set to a distinctive value and the hubs of the
 * scenarios before this one logged at debug level — in-process through the hub's own
 * logger into files, and the worker processes' whole stdout/stderr. Not one secret
 * may appear anywhere in that output. Runs last (the sequencer orders by number) and
 * prints the table of every scenario's figures.
 */
describe('scenario 8: secrets never reach a log', () => {
  it('finds none of the configured secrets in the log output of scenarios 1–4', () => {
    const started = Date.now();
    const dirs = existsSync(RUN_DIR)
      ? readdirSync(RUN_DIR, { withFileTypes: true })
          .filter((d) => d.isDirectory() && /^[1-4]-/.test(d.name))
          .map((d) => join(RUN_DIR, d.name))
      : [];
    const withNeedles = dirs.filter((d) => existsSync(join(d, 'needles.json')));
    expect(withNeedles.length).toBeGreaterThanOrEqual(1);

    let files = 0;
    let bytes = 0;
    let needles = 0;
    const leaks: string[] = [];
    for (const dir of withNeedles) {
      const list = JSON.parse(readFileSync(join(dir, 'needles.json'), 'utf8')) as Array<{
        name: string;
        value: string;
      }>;
      const logs = readdirSync(dir)
        .filter((f) => f.endsWith('.log'))
        .map((f) => join(dir, f));
      const report = scanForSecrets(logs, list);
      files += report.files;
      bytes += report.bytesScanned;
      needles += list.length;
      leaks.push(...report.leaks);
    }
    // A scan of nothing proves nothing: debug logging must have produced output.
    expect(bytes).toBeGreaterThan(100_000);
    expect(leaks).toEqual([]);

    reportFigures({
      n: 8,
      title: 'Secrets in logs',
      figures: [
        ['scenarios scanned', withNeedles.map((d) => d.split('/').pop()).join(', ')],
        ['log files', files],
        ['MB scanned', (bytes / 1024 / 1024).toFixed(1)],
        ['secret values searched', needles],
        ['occurrences', leaks.length],
      ],
      seconds: (Date.now() - started) / 1000,
    });
    process.stdout.write(`\n${TABLE_HEADER}\n${figuresOfThisRun().map(tableRow).join('\n')}\n`);
  });
});
