import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** `.build/chaos`, as RUN_DIR in chaos-run.ts (this file is plain JS, Jest loads it as is). */
const RUN_DIR = join(
  resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..'),
  '.build',
  'chaos',
);

/**
 * Jest's test sequencer for the chaos suite: scenario files run in the order of their
 * number, because scenario 8 (secrets) scans the logs that scenarios 1–7 wrote and the
 * summary table is printed last. Sorting is also where a run starts, so it writes the
 * run's id and the scenarios it holds to `.build/chaos/run.json`: every scenario stamps
 * its folder with that id, and scenario 8 accepts only folders of this run.
 * Jest loads a sequencer through its default export.
 */
class ScenarioOrder {
  sort(tests) {
    const sorted = [...tests].sort((a, b) => a.path.localeCompare(b.path));
    mkdirSync(RUN_DIR, { recursive: true });
    writeFileSync(
      join(RUN_DIR, 'run.json'),
      JSON.stringify({
        id: randomUUID(),
        startedAt: new Date().toISOString(),
        scenarios: sorted
          .map((t) => Number(/^(\d+)-/.exec(basename(t.path))?.[1]))
          .filter((n) => Number.isInteger(n)),
      }),
    );
    return sorted;
  }

  cacheResults() {}

  allFailedTests(tests) {
    return tests;
  }
}

// eslint-disable-next-line no-restricted-syntax -- Jest requires a default export here
export default ScenarioOrder;
