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
 * that enqueues one of its topics. A step no in-flow step feeds starts the flow;
 * a cycle (a step re-enqueueing itself) cannot push a step beyond the flow's size.
 */
export function layoutFlows(functions: readonly FunctionInfo[]): FlowLayout[] {
  const flowNames = [...new Set(functions.flatMap((f) => f.flows))].sort();
  return flowNames.map((name) => {
    const steps = functions.filter((f) => f.flows.includes(name));
    const topicsOf = (f: FunctionInfo) => (f.trigger.type === 'queue' ? f.trigger.topics : []);
    const feeders = (f: FunctionInfo) =>
      steps.filter((s) => s !== f && s.enqueues.some((t) => topicsOf(f).includes(t)));
    const depth = new Map<FunctionInfo, number>(steps.map((s) => [s, 0]));
    for (let round = 0; round < steps.length; round++) {
      let changed = false;
      for (const s of steps) {
        const d = Math.max(0, ...feeders(s).map((f) => (depth.get(f) ?? 0) + 1));
        if (d !== depth.get(s) && d < steps.length) {
          depth.set(s, d);
          changed = true;
        }
      }
      if (!changed) break;
    }
    const columns: FunctionInfo[][] = [];
    for (const s of steps) (columns[depth.get(s) ?? 0] ??= []).push(s);
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
