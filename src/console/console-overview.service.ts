import { Injectable } from '@nestjs/common';
import type { Job, JobStatus } from 'bull';
import { AppConfig } from '../config/app-config.js';
import { CRON_QUEUE } from '../core/queue/topic.js';
import { StepRegistry, type FunctionInfo } from '../core/steps/step-registry.service.js';
import { layoutFlows, nextCronRun } from './console-flows.js';
import { QUEUE_DASHBOARD_PATH } from './queue-dashboard.js';
import { QueueConsoleService, jobView, type JobView } from './queue-console.service.js';
import { StepStatsRecorder, type LastError } from './step-stats.recorder.js';

export interface StepCounts {
  waiting: number;
  active: number;
  /** `queue`: waiting/active are the whole queue's (shared with other steps, too many to sort). */
  scope: 'step' | 'queue';
  completedLastHour: number;
  failedLastHour: number;
}

export interface StepView extends FunctionInfo {
  /** The Bull queue and job names whose jobs are this step's runs (none for HTTP steps). */
  jobs?: { queue: string; names: string[] };
  nextRun?: { iso: string; berlin: string };
  counts?: StepCounts;
  lastError?: LastError;
}

export interface ConsoleOverview {
  generatedAt: string;
  timeZone: string;
  dashboardPath: string | null;
  flows: Array<{ name: string; columns: StepView[][] }>;
  deadLetters: Array<{ queue: string; total: number; jobs: JobView[] }>;
}

/**
 * A queue shared by several steps is sorted by job name only up to this many waiting
 * and active jobs; in a storm the page shows the queue's totals instead of reading
 * thousands of jobs every few seconds.
 */
const SCAN_LIMIT = 300;
const DEAD_LETTERS_SHOWN = 20;

/** Everything the console page shows, in one answer (also `GET /_console/overview`). */
@Injectable()
export class ConsoleOverviewService {
  constructor(
    private readonly config: AppConfig,
    private readonly registry: StepRegistry,
    private readonly queues: QueueConsoleService,
    private readonly stats: StepStatsRecorder,
  ) {}

  async overview(now = new Date()): Promise<ConsoleOverview> {
    const steps = this.registry.list().map((f) => this.withJobs(f, now));
    const [hour, errors, live, deadLetters] = await Promise.all([
      this.stats.lastHour(now.getTime()),
      this.stats.lastErrors(),
      this.liveCounts(steps),
      this.deadLetters(),
    ]);
    for (const s of steps) {
      if (!s.jobs) continue;
      const { queue, names } = s.jobs;
      const sum = (outcome: string) =>
        names.reduce((n, name) => n + (hour.get(`${queue}|${name}|${outcome}`) ?? 0), 0);
      s.counts = {
        ...(live.get(s.function_id) ?? { waiting: 0, active: 0, scope: 'step' as const }),
        completedLastHour: sum('completed'),
        failedLastHour: sum('failed'),
      };
      s.lastError = names
        .map((name) => errors.get(`${queue}|${name}`))
        .filter((e): e is LastError => e !== undefined)
        .sort((a, b) => b.at - a.at)[0];
    }
    const byId = new Map(steps.map((s) => [s.function_id, s]));
    return {
      generatedAt: now.toISOString(),
      timeZone: 'Europe/Berlin',
      dashboardPath: this.config.http.queueDashboardEnabled ? QUEUE_DASHBOARD_PATH : null,
      flows: layoutFlows(steps).map((f) => ({
        name: f.name,
        columns: f.columns.map((c) => c.map((s) => byId.get(s.function_id)!)),
      })),
      deadLetters,
    };
  }

  private withJobs(f: FunctionInfo, now: Date): StepView {
    const entry = this.registry.find(f.function_id);
    const t = entry?.definition.trigger;
    if (t?.type === 'cron') {
      return {
        ...f,
        jobs: { queue: CRON_QUEUE, names: [f.function_id] },
        nextRun: f.trigger.type === 'cron' ? nextCronRun(f.trigger.expression, now) : undefined,
      };
    }
    if (t?.type === 'queue' && t.topics.length > 0) {
      // A step's topics share one family, hence one queue (defineTopic).
      return { ...f, jobs: { queue: t.topics[0].queue, names: t.topics.map((x) => x.job) } };
    }
    return { ...f };
  }

  /**
   * Waiting (with delayed: debounced and backing-off jobs) and active per step. A queue
   * run by one step answers with its counts; a shared one (the cron queue, documents'
   * sync and delete) is scanned by job name, bounded.
   */
  private async liveCounts(steps: StepView[]) {
    const byQueue = new Map<string, StepView[]>();
    for (const s of steps) {
      if (s.jobs) byQueue.set(s.jobs.queue, [...(byQueue.get(s.jobs.queue) ?? []), s]);
    }
    type Live = Pick<StepCounts, 'waiting' | 'active' | 'scope'>;
    const out = new Map<string, Live>();
    await Promise.all(
      [...byQueue].map(async ([name, owners]) => {
        const queue = this.queues.queue(name);
        const c = await queue.getJobCounts();
        const total: Live = { waiting: c.waiting + c.delayed, active: c.active, scope: 'step' };
        if (owners.length === 1) {
          out.set(owners[0].function_id, total);
          return;
        }
        if (total.waiting + total.active > SCAN_LIMIT) {
          owners.forEach((s) => out.set(s.function_id, { ...total, scope: 'queue' }));
          return;
        }
        const scan = async (states: JobStatus[]) =>
          (await queue.getJobs(states, 0, SCAN_LIMIT - 1)).filter((j): j is Job => Boolean(j));
        const [waiting, active] = await Promise.all([
          scan(['waiting', 'delayed']),
          scan(['active']),
        ]);
        for (const s of owners) {
          const mine = (j: Job) => s.jobs!.names.includes(j.name);
          out.set(s.function_id, {
            waiting: waiting.filter(mine).length,
            active: active.filter(mine).length,
            scope: 'step',
          });
        }
      }),
    );
    return out;
  }

  private async deadLetters() {
    return Promise.all(
      this.queues.names().map(async (name) => {
        const queue = this.queues.queue(name);
        const [total, jobs] = await Promise.all([
          queue.getFailedCount(),
          queue.getFailed(0, DEAD_LETTERS_SHOWN - 1),
        ]);
        return { queue: name, total, jobs: jobs.filter(Boolean).map(jobView) };
      }),
    );
  }
}
