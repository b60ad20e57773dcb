import { CronTime } from 'cron';
import type { FunctionInfo } from '../core/steps/step-registry.service.js';

export const CONSOLE_TIME_ZONE = 'Europe/Berlin';

/** A flow laid out left to right: column 0 holds what starts it (HTTP, cron), then what those enqueue. */
export interface FlowLayout {
  name: string;
  columns: FunctionInfo[][];
}

/**
 * Groups the steps by flow and puts each in the column after the last in-flow step
 * that enqueues one of its topics. Flows have cycles (the collection manager
 * enqueues document updates after creating a collection, the document sync
 * enqueues the collection manager), so edges are kept only in one direction: from
 * the step nearer the flow's start (fewest hops from an HTTP or cron step, then the
 * one more starting steps feed) to the other. That leaves a DAG whose longest paths
 * give the columns.
 */
export function layoutFlows(functions: readonly FunctionInfo[]): FlowLayout[] {
  // Flows that run jobs first (what an operator watches), pass-through HTTP-only ones last.
  const runsJobs = (flow: string) =>
    functions.some((f) => f.flows.includes(flow) && f.trigger.type !== 'http');
  const flowNames = [...new Set(functions.flatMap((f) => f.flows))].sort(
    (a, b) => Number(runsJobs(b)) - Number(runsJobs(a)) || a.localeCompare(b),
  );
  return flowNames.map((name) => {
    const steps = functions.filter((f) => f.flows.includes(name));
    const topicsOf = (f: FunctionInfo) => (f.trigger.type === 'queue' ? f.trigger.topics : []);
    const feeders = new Map(
      steps.map((f) => [
        f,
        steps.filter((s) => s !== f && s.enqueues.some((t) => topicsOf(f).includes(t))),
      ]),
    );
    // Hops from the start: breadth-first from the steps nothing in the flow feeds.
    const hops = new Map<FunctionInfo, number>();
    let wave = steps.filter((s) => feeders.get(s)!.length === 0);
    if (wave.length === 0) wave = steps.slice(0, 1);
    for (let d = 0; wave.length > 0; d++) {
      wave.forEach((s) => hops.set(s, d));
      wave = steps.filter((s) => !hops.has(s) && feeders.get(s)!.some((f) => hops.has(f)));
    }
    const h = (s: FunctionInfo) => hops.get(s) ?? steps.length;
    const earlierFeeders = (s: FunctionInfo) => feeders.get(s)!.filter((f) => h(f) < h(s)).length;
    const before = (u: FunctionInfo, v: FunctionInfo) =>
      h(u) - h(v) || earlierFeeders(v) - earlierFeeders(u) || u.name.localeCompare(v.name);
    const depth = new Map<FunctionInfo, number>();
    const depthOf = (s: FunctionInfo): number => {
      const known = depth.get(s);
      if (known !== undefined) return known;
      const forward = feeders.get(s)!.filter((f) => before(f, s) < 0);
      const d = Math.max(0, ...forward.map((f) => depthOf(f) + 1));
      depth.set(s, d);
      return d;
    };
    const columns: FunctionInfo[][] = [];
    for (const s of steps) (columns[depthOf(s)] ??= []).push(s);
    const order = { http: 0, cron: 1, queue: 2 } as const;
    return {
      name,
      columns: columns
        .filter((c) => c && c.length > 0)
        .map((c) =>
          [...c].sort(
            (a, b) => order[a.trigger.type] - order[b.trigger.type] || a.name.localeCompare(b.name),
          ),
        ),
    };
  });
}

/** The next run of a six-field cron expression, evaluated in Europe/Berlin as the scheduler does. */
export function nextCronRun(
  expression: string,
  now: Date = new Date(),
): { iso: string; berlin: string } | undefined {
  try {
    const time = new CronTime(expression, CONSOLE_TIME_ZONE);
    const next = time.getNextDateFrom(now, CONSOLE_TIME_ZONE);
    return { iso: next.toUTC().toISO() ?? '', berlin: next.toFormat('yyyy-LL-dd HH:mm:ss') };
  } catch {
    return undefined;
  }
}
