import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';

export interface PrivateRedisOptions {
  /** `requirepass`, so REDIS_PASSWORD is a real secret the logs must not show. */
  password?: string;
  /**
   * `appendonly yes` + `appendfsync always` in a temporary directory: every write
   * Redis acknowledged is on disk, so a SIGKILL and a restart lose nothing that a
   * client was told was stored.
   */
  durable?: boolean;
}

/**
 * A redis-server of the test's own on a free loopback port: the scenario can stop,
 * freeze or kill it without touching the shared Redis, and its figures are its own.
 */
export interface PrivateRedis {
  readonly port: number;
  /** A client for the test's own reads (job counters, keys); reconnects after a restart. */
  readonly client: Redis;
  /** SIGSTOP: the server stops answering but keeps its connections and its data. */
  freeze(): void;
  /** SIGCONT after `freeze`. */
  thaw(): void;
  /** SIGKILL, as a crash: no shutdown, no final save. */
  crash(): Promise<void>;
  /** Starts the server again on the same port (and, when durable, from the same files). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

async function answers(port: number, password?: string): Promise<boolean> {
  const probe = new Redis({
    port,
    host: '127.0.0.1',
    password,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    return (await probe.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}

export async function startPrivateRedis(options: PrivateRedisOptions = {}): Promise<PrivateRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'hub-chaos-redis-'));
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--dir', dir];
  args.push(
    ...(options.durable
      ? ['--appendonly', 'yes', '--appendfsync', 'always']
      : ['--appendonly', 'no']),
  );
  if (options.password) args.push('--requirepass', options.password);

  let proc: ChildProcess;
  const launch = async () => {
    proc = spawn('redis-server', args, { stdio: 'ignore' });
    const failed = new Promise<never>((_, fail) =>
      proc.once('error', (err) => fail(new Error(`could not start redis-server: ${err.message}`))),
    );
    const ready = (async () => {
      for (let i = 0; i < 200; i++) {
        if (await answers(port, options.password)) return;
        await new Promise((r) => setTimeout(r, 25));
      }
      throw new Error(`redis-server on port ${port} did not answer`);
    })();
    await Promise.race([ready, failed]);
  };
  const exit = () =>
    proc.exitCode !== null || proc.signalCode !== null
      ? Promise.resolve()
      : new Promise<void>((done) => proc.once('exit', () => done()));

  await launch();
  const client = new Redis({
    port,
    host: '127.0.0.1',
    password: options.password,
    maxRetriesPerRequest: 1,
    retryStrategy: () => 100,
  });
  client.on('error', () => undefined);

  return {
    port,
    client,
    freeze: () => void proc.kill('SIGSTOP'),
    thaw: () => void proc.kill('SIGCONT'),
    async crash() {
      proc.kill('SIGKILL');
      await exit();
    },
    restart: launch,
    async stop() {
      client.disconnect();
      proc.kill('SIGCONT');
      proc.kill('SIGKILL');
      await exit();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
