import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';

/** BENCH_CPU_PROF: 'whole' profiles a process's lifetime, 'window' the hub's measured window only. */
export type CpuProfileMode = false | 'whole' | 'window';

/** Node flags that write a process's CPU profile for its whole life to `outDir/name`. */
export function wholeProfileArgs(outDir: string, name: string): string[] {
  return ['--cpu-prof', '--cpu-prof-dir', outDir, '--cpu-prof-name', name];
}

/** CPU time (user + system) of a process so far, in ms, from /proc (Linux); NaN elsewhere. */
export function procCpuMs(pid: number): number {
  try {
    // Fields after the command name, which is in parentheses and may hold spaces.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of the whole line (11 and 12 here), in clock ticks of 10 ms.
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return Number.NaN;
  }
}

/** CPU time the Redis server has used so far, in ms (`INFO cpu`). */
export async function redisCpuMs(redis: Redis): Promise<number> {
  const text = await redis.info('cpu');
  const field = (name: string) => Number(new RegExp(`^${name}:([0-9.]+)`, 'm').exec(text)?.[1]);
  return (field('used_cpu_user') + field('used_cpu_sys')) * 1000;
}

/** This process's CPU time so far, in ms (the load generator and the fakes live here). */
export function ownCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

export interface CpuSplit {
  target: number;
  redis: number;
  bench: number;
}

/** CPU each side spent while `run` ran: the process under load, Redis, and the benchmark itself. */
export async function cpuDuring<T>(
  pid: number,
  redis: Redis,
  run: () => Promise<T>,
): Promise<{ result: T; cpu: CpuSplit }> {
  const before = { target: procCpuMs(pid), redis: await redisCpuMs(redis), bench: ownCpuMs() };
  const result = await run();
  return {
    result,
    cpu: {
      target: procCpuMs(pid) - before.target,
      redis: (await redisCpuMs(redis)) - before.redis,
      bench: ownCpuMs() - before.bench,
    },
  };
}

/** The CPU of several load runs as one. */
export function addCpu(splits: CpuSplit[]): CpuSplit {
  const sum = (f: (c: CpuSplit) => number) => splits.reduce((a, c) => a + f(c), 0);
  return { target: sum((c) => c.target), redis: sum((c) => c.redis), bench: sum((c) => c.bench) };
}
