import { fork, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type CpuProfileMode, wholeProfileArgs } from './cpu.js';
import { sleep } from './ports.js';

export type ParentToHub = { type: 'peak' } | { type: 'cpu' } | { type: 'gc' } | { type: 'stop' };
export type HubToParent =
  | { type: 'ready'; port: number }
  | { type: 'failed'; message: string }
  | { type: 'peak'; sampled: NodeJS.MemoryUsage; kernelPeakRss: number }
  | { type: 'cpu'; usage: NodeJS.CpuUsage }
  | { type: 'gc'; collected: boolean; memory: NodeJS.MemoryUsage };

export interface PeakMemory {
  /** Highest resident set size, in bytes: the kernel's high-water mark where there is one. */
  rss: number;
  /** process.memoryUsage() at the highest sampled RSS (every 250 ms). */
  atPeak: NodeJS.MemoryUsage;
  /** Heap still in use after a full GC at the end, when the hub runs with --expose-gc. */
  heapAfterGc?: number;
}

export interface HubProcess {
  url: string;
  pid: number;
  /** Highest resident set size of the hub process so far. */
  peakMemory(): Promise<PeakMemory>;
  /** Heap after a full GC (needs `--expose-gc` in BENCH_HUB_NODE_ARGS), else undefined. */
  heapAfterGc(): Promise<number | undefined>;
  /** CPU time the hub process has used (user + system), in ms. */
  cpuMs(): Promise<number>;
  stop(): Promise<void>;
}

const here = dirname(fileURLToPath(import.meta.url));
const CHILD = join(here, '..', 'hub-child.js');

export interface HubProcessOptions {
  /** Names the log file and the CPU profile. */
  label: string;
  /** Directory for the hub's log (and `--cpu-prof` output when `cpuProfile`). */
  outDir: string;
  /** 'whole': `--cpu-prof` for the hub's lifetime; 'window': between its first and second CPU reading. */
  cpuProfile?: CpuProfileMode;
  /** Extra node flags for the hub, e.g. `--max-old-space-size=160` or `--expose-gc`. */
  nodeArgs?: string[];
  bootTimeoutMs?: number;
}

/** Starts the real hub (`createApp` + the bench module) in a child process and waits until it listens. */
export async function startHubProcess(
  env: Record<string, string>,
  options: HubProcessOptions,
): Promise<HubProcess> {
  mkdirSync(options.outDir, { recursive: true });
  const log = createWriteStream(join(options.outDir, `hub-${options.label}.log`));
  const execArgv = [
    ...(options.nodeArgs ?? []),
    ...(options.cpuProfile === 'whole'
      ? wholeProfileArgs(options.outDir, `hub-${options.label}.cpuprofile`)
      : []),
  ];
  const child: ChildProcess = fork(CHILD, [], {
    env: {
      ...process.env,
      BENCH_HUB_ENV: JSON.stringify(env),
      ...(options.cpuProfile === 'window'
        ? { BENCH_PROFILE_WINDOW: join(options.outDir, `hub-${options.label}-window.cpuprofile`) }
        : {}),
    },
    execArgv,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  // A send to a hub that died must fail the scenario, not crash the benchmark.
  child.on('error', () => undefined);
  const waitFor = <T extends HubToParent['type']>(type: T, timeoutMs: number) =>
    new Promise<Extract<HubToParent, { type: T }>>((resolve, reject) => {
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`hub ${options.label}: no "${type}" within ${timeoutMs} ms`));
      }, timeoutMs);
      const onMessage = (raw: unknown) => {
        const m = raw as HubToParent;
        if (m.type === 'failed') {
          cleanup();
          reject(new Error(`hub ${options.label} failed to start: ${m.message}`));
        } else if (m.type === type) {
          cleanup();
          resolve(m as Extract<HubToParent, { type: T }>);
        }
      };
      const onExit = (code: number | null) => {
        cleanup();
        reject(
          new Error(`hub ${options.label} exited (${code}); see its log in ${options.outDir}`),
        );
      };
      const cleanup = () => {
        clearTimeout(timer);
        child.off('message', onMessage);
        child.off('exit', onExit);
      };
      child.on('message', onMessage);
      child.once('exit', onExit);
    });

  const ask = <T extends HubToParent['type']>(
    message: ParentToHub,
    type: T,
  ): Promise<Extract<HubToParent, { type: T }>> => {
    if (!child.connected || child.exitCode !== null)
      return Promise.reject(
        new Error(
          `hub ${options.label} is gone (exit ${child.exitCode}); see hub-${options.label}.log`,
        ),
      );
    const answer = waitFor(type, 10_000);
    child.send(message);
    return answer;
  };

  let ready: { port: number };
  try {
    ready = await waitFor('ready', options.bootTimeoutMs ?? 30_000);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null) resolve();
    else child.once('exit', () => resolve());
  });

  return {
    url: `http://127.0.0.1:${ready.port}`,
    pid: child.pid!,
    async peakMemory() {
      const m = await ask({ type: 'peak' }, 'peak');
      return { rss: Math.max(m.sampled.rss, m.kernelPeakRss), atPeak: m.sampled };
    },
    async heapAfterGc() {
      const m = await ask({ type: 'gc' }, 'gc');
      return m.collected ? m.memory.heapUsed : undefined;
    },
    async cpuMs() {
      const { usage } = await ask({ type: 'cpu' }, 'cpu');
      return (usage.user + usage.system) / 1000;
    },
    async stop() {
      if (child.exitCode === null && child.connected)
        child.send({ type: 'stop' } satisfies ParentToHub);
      await Promise.race([exited, sleep(15_000)]);
      if (child.exitCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
      log.end();
    },
  };
}
