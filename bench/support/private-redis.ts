import { spawn, type ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import { freePort, sleep } from './ports.js';

/**
 * A redis-server of the benchmark's own, on a free loopback port and without
 * persistence: the figures are not disturbed by other users of the shared Redis,
 * `INFO commandstats` counts only the hub's commands, and nothing is ever flushed
 * on a Redis someone else uses.
 */
export interface PrivateRedis {
  port: number;
  client: Redis;
  /**
   * Calls per command since the server started (`INFO commandstats`), without the
   * benchmark's own (queue polling, these INFOs): what the hub sent, Lua's inner calls included.
   */
  commandCalls(): Promise<Map<string, number>>;
  /** Empties this private server (e.g. the intake's 200,000 jobs before the next scenario). */
  flush(): Promise<void>;
  stop(): Promise<void>;
}

export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  const proc: ChildProcess = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  // Whatever ends the benchmark (a crash included), the server must not outlive it.
  const killOnExit = () => proc.kill('SIGKILL');
  process.once('exit', killOnExit);
  const spawnError = new Promise<never>((_, reject) =>
    proc.once('error', (err) =>
      reject(new Error(`could not start redis-server (is Redis installed?): ${err.message}`)),
    ),
  );
  const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 1 });
  client.on('error', () => undefined);
  const connect = async () => {
    for (let i = 0; i < 100; i++) {
      try {
        await client.connect();
        return;
      } catch {
        client.disconnect();
        await sleep(50);
      }
    }
    throw new Error(`redis-server on port ${port} did not answer`);
  };
  await Promise.race([connect(), spawnError]);
  // If another server had taken the port first, every later command (FLUSHALL above all)
  // would go to it: make sure the one answering is the process spawned here.
  const serverPid = /process_id:(\d+)/.exec(await client.info('server'))?.[1];
  if (Number(serverPid) !== proc.pid) {
    client.disconnect();
    proc.kill('SIGKILL');
    throw new Error(`port ${port} answered from redis pid ${serverPid}, not the one started here`);
  }
  const own = new Map<string, number>();
  const send = client.sendCommand.bind(client);
  client.sendCommand = ((command: { name: string }, ...rest: unknown[]) => {
    own.set(command.name, (own.get(command.name) ?? 0) + 1);
    return (send as (...a: unknown[]) => unknown)(command, ...rest);
  }) as typeof client.sendCommand;
  return {
    port,
    client,
    async commandCalls() {
      const text = await client.info('commandstats');
      const calls = new Map<string, number>();
      for (const m of text.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm))
        calls.set(m[1], Number(m[2]) - (own.get(m[1]) ?? 0));
      return calls;
    },
    async flush() {
      await client.flushall();
    },
    async stop() {
      process.off('exit', killOnExit);
      client.disconnect();
      if (proc.exitCode !== null) return;
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      await Promise.race([exited, sleep(3000)]);
      if (proc.exitCode === null) proc.kill('SIGKILL');
    },
  };
}

/** Per-command call deltas between two `commandCalls()` snapshots. */
export function commandDelta(
  before: Map<string, number>,
  after: Map<string, number>,
): Map<string, number> {
  const out = new Map<string, number>();
  for (const [cmd, n] of after) {
    const d = n - (before.get(cmd) ?? 0);
    if (d > 0) out.set(cmd, d);
  }
  return out;
}
