import { getQueueToken } from '@nestjs/bull';
import { Injectable, NotFoundException } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { Job, JobStatus, Queue } from 'bull';
import { REGISTERED_QUEUES } from '../core/queue/queue-names.js';

export interface QueueSummary {
  name: string;
  paused: boolean;
  counts: Record<string, number>;
}

export interface JobView {
  id: string;
  queue: string;
  name: string;
  data: unknown;
  traceId?: string;
  attemptsMade: number;
  failedReason?: string;
  stacktrace?: string[];
  timestamp: number;
  processedOn?: number;
  finishedOn?: number;
  delay?: number;
}

export function jobView(job: Job): JobView {
  const data = job.data as { traceId?: string } | undefined;
  return {
    id: String(job.id),
    queue: job.queue.name,
    name: job.name,
    data: job.data,
    traceId: data?.traceId,
    attemptsMade: job.attemptsMade,
    failedReason: job.failedReason,
    stacktrace: job.stacktrace?.slice(0, 3),
    timestamp: job.timestamp,
    processedOn: job.processedOn,
    finishedOn: job.finishedOn,
    delay: job.opts.delay,
  };
}

/** Queue inspection and repair for operators: counts, pause, dead letters, retry. */
@Injectable()
export class QueueConsoleService {
  constructor(private readonly moduleRef: ModuleRef) {}

  names(): string[] {
    return [...REGISTERED_QUEUES].sort();
  }

  queue(name: string): Queue {
    if (!REGISTERED_QUEUES.has(name)) throw new NotFoundException(`unknown queue ${name}`);
    return this.moduleRef.get<Queue>(getQueueToken(name), { strict: false });
  }

  async summaries(): Promise<QueueSummary[]> {
    return Promise.all(
      this.names().map(async (name) => {
        const q = this.queue(name);
        const [counts, paused] = await Promise.all([q.getJobCounts(), q.isPaused()]);
        return { name, paused, counts: counts as unknown as Record<string, number> };
      }),
    );
  }

  async failed(name: string, start = 0, end = 49): Promise<JobView[]> {
    return (await this.queue(name).getFailed(start, end)).map(jobView);
  }

  async retry(name: string, jobId: string): Promise<{ retried: string }> {
    const job = await this.mustGet(name, jobId);
    await retryManually(job);
    return { retried: jobId };
  }

  async retryAll(name: string): Promise<{ retried: number }> {
    const jobs = await this.queue(name).getFailed();
    await Promise.all(jobs.map((j) => retryManually(j)));
    return { retried: jobs.length };
  }

  async remove(name: string, jobId: string): Promise<{ removed: string }> {
    const job = await this.mustGet(name, jobId);
    await job.remove();
    return { removed: jobId };
  }

  async pause(name: string): Promise<{ paused: true }> {
    await this.queue(name).pause();
    return { paused: true };
  }

  async resume(name: string): Promise<{ paused: false }> {
    await this.queue(name).resume();
    return { paused: false };
  }

  /** Jobs of any state whose payload names this entity (bounded scan per queue). */
  async jobsFor(
    entityId: string,
    states: JobStatus[] = ['waiting', 'delayed', 'active', 'failed'],
    limit = 500,
  ) {
    const out: JobView[] = [];
    for (const name of this.names()) {
      const jobs = await this.queue(name).getJobs(states, 0, limit - 1);
      for (const job of jobs) {
        if (!job) continue;
        const data = job.data as { entityId?: string; foreignId?: string } | undefined;
        if (data?.entityId === entityId || data?.foreignId === entityId) out.push(jobView(job));
      }
    }
    return out;
  }

  private async mustGet(name: string, jobId: string): Promise<Job> {
    const job = await this.queue(name).getJob(jobId);
    if (!job) throw new NotFoundException(`no job ${jobId} in ${name}`);
    return job;
  }
}

/** An operator's retry runs now, even where the step would wait for its retry time. */
async function retryManually(job: Job): Promise<void> {
  await job.update({ ...(job.data as object), manual: true });
  await job.retry();
}
