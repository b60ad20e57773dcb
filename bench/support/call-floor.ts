import { fork } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FloorRequest, FloorToParent } from './call-floor-child.js';

const CHILD = join(dirname(fileURLToPath(import.meta.url)), 'call-floor-child.js');

export interface CallFloor {
  elapsedMs: number;
  meanCallMs: number;
}

/** Runs the bare client of call-floor-child.ts in its own process (the hub's node flags) and waits for its figures. */
export async function measureCallFloor(
  request: Omit<FloorRequest, 'type'>,
  nodeArgs: string[],
  timeoutMs = 60_000,
): Promise<CallFloor> {
  const child = fork(CHILD, [], {
    execArgv: nodeArgs,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  try {
    const answer = await new Promise<FloorToParent>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('call floor: no answer in time')), timeoutMs);
      child.once('message', (m) => {
        clearTimeout(timer);
        resolve(m as FloorToParent);
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`call floor: the client exited (${code}) without figures`));
      });
      child.send({ type: 'run', ...request } satisfies FloorRequest);
    });
    if (answer.type === 'failed') throw new Error(`call floor: ${answer.message}`);
    return { elapsedMs: answer.elapsedMs, meanCallMs: answer.meanCallMs };
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
}
