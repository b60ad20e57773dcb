import { fork } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PlainToParent } from './plain-nest-child.js';
import { type CpuProfileMode, wholeProfileArgs } from './cpu.js';
import { sleep } from './ports.js';

const CHILD = join(dirname(fileURLToPath(import.meta.url)), 'plain-nest-child.js');

export interface PlainNestProcess {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/**
 * Starts the plain NestJS reference app in a process of its own, beside the hub and
 * with the same node flags, so both are measured the same way.
 */
export async function startPlainNest(options: {
  outDir: string;
  cpuProfile?: CpuProfileMode;
  nodeArgs?: string[];
  bootTimeoutMs?: number;
}): Promise<PlainNestProcess> {
  mkdirSync(options.outDir, { recursive: true });
  const log = createWriteStream(join(options.outDir, 'plain-nest.log'));
  const child = fork(CHILD, [], {
    execArgv: [
      ...(options.nodeArgs ?? []),
      // 'window' profiles the hub only; profiling the reference too would slow it and
      // flatter the ratio.
      ...(options.cpuProfile === 'whole'
        ? wholeProfileArgs(options.outDir, 'plain-nest.cpuprofile')
        : []),
    ],
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  child.on('error', () => undefined);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let port: number;
  try {
    port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error('plain NestJS app: not ready in time')),
        options.bootTimeoutMs ?? 30_000,
      );
      child.on('message', (raw) => {
        const m = raw as PlainToParent;
        clearTimeout(timer);
        if (m.type === 'ready') resolve(m.port);
        else reject(new Error(`plain NestJS app failed to start: ${m.message}`));
      });
      void exited.then(() => reject(new Error('plain NestJS app exited during start')));
    });
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid!,
    async stop() {
      if (child.exitCode === null && child.connected) child.send({ type: 'stop' });
      await Promise.race([exited, sleep(10_000)]);
      if (child.exitCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
      log.end();
    },
  };
}
