import type { PeakMemory } from '../support/hub-process.js';
import { fmt, info, judged, missing, type ResultRow } from '../support/results.js';
import type { Scenario, ScenarioContext, ScenarioResult } from '../support/scenario.js';
import { CHANGED, runStorm, type StormFigures } from '../support/storm-run.js';

/**
 * 7. Scale-out: the storm of scenario 2 on a fresh world, drained by one worker
 * process and then by two, each layout with an `api` process taking the webhooks
 * (APP_ROLE), all on one Redis. What must not change with more workers: every
 * document read once, every changed one uploaded once and synced.
 */
export const scaleoutScenario: Scenario = {
  id: 'scaleout',
  title: '7 Scale-out',
  timeoutMs: 420_000,
  async run(ctx: ScenarioContext): Promise<ScenarioResult> {
    const layouts: Array<[string, Array<'api' | 'worker'>]> = [
      ['1 worker', ['api', 'worker']],
      ['2 workers', ['api', 'worker', 'worker']],
    ];
    const figures: StormFigures[] = [];
    for (const [name, roles] of layouts) {
      ctx.log(`scale-out: api + ${name}`);
      const f = await runStorm(ctx, `scaleout${roles.length - 1}`, roles);
      if ('missing' in f)
        return { rows: [missing('7', 'scale-out: drain', f.missing)], details: f };
      figures.push(f);
    }
    const rows: ResultRow[] = [];
    const peaks: Array<{ label: string; peak: PeakMemory }> = [];
    for (const [i, f] of figures.entries()) {
      const name = layouts[i][0];
      peaks.push(...f.peaks);
      rows.push(
        info(
          '7',
          `scale-out, api + ${name}: drain (first job due → idle), ÷ its ideal; its floor ÷ ideal`,
          `${fmt.s(f.drainMs)}, ${fmt.ratio(f.drainMs / f.idealMs)}; ${fmt.ratio(f.floor.elapsedMs / f.idealMs)}`,
          f.drainMs,
        ),
        judged(
          '7',
          `scale-out, api + ${name}: documents not read exactly once`,
          f.notReadOnce,
          fmt.int,
          '==',
          0,
        ),
        judged(
          '7',
          `scale-out, api + ${name}: changed documents not uploaded exactly once or not synced`,
          f.uploadsPerChanged.filter((n) => n !== 1).length + f.stale,
          fmt.int,
          '==',
          0,
        ),
        info(
          '7',
          `scale-out, api + ${name}: uploads, sync runs, hub CPU (all processes)`,
          `${f.uploads} of ${CHANGED}, ${fmt.int(f.runs)}, ${fmt.s(f.cpuMs)}`,
        ),
      );
    }
    const [one, two] = figures;
    rows.push(
      info(
        '7',
        'scale-out: drain with 2 workers ÷ drain with 1',
        fmt.ratio(two.drainMs / one.drainMs),
        two.drainMs / one.drainMs,
      ),
    );
    return {
      rows,
      peaks,
      details: { oneWorker: { ...one }, twoWorkers: { ...two } },
    };
  },
};
