import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, readdirSync, statSync, type WriteStream } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export type ParentToChild = { type: 'stop' };
export type ChildToParent = { type: 'ready'; port: number } | { type: 'failed'; message: string };

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const CHILD = join(ROOT, '.build', 'test', 'chaos', 'support', 'hub-child.js');
const SOURCES = ['src', join('test', 'chaos')];

const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(path));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * The child runs compiled JavaScript (Node 20 cannot run TypeScript). SWC compiles
 * `src` and `test/chaos` into `.build` in about a second, so the suite compiles when
 * a source is newer than the child instead of trusting an earlier build.
 */
export function ensureHubChildBuilt(): void {
  const built = existsSync(CHILD) ? statSync(CHILD).mtimeMs : 0;
  const newest = Math.max(...SOURCES.map((d) => newestMtime(join(ROOT, d))));
  if (built >= newest) return;
  execFileSync(join(ROOT, 'node_modules', '.bin', 'swc'), [...SOURCES, '-d', '.build', '--quiet'], {
    cwd: ROOT,
    stdio: 'inherit',
  });
}

export interface HubProcess {
  readonly label: string;
  readonly pid: number;
  readonly url: string;
  readonly logFile: string;
  /** True once the process has exited (for "the process stays up"). */
  readonly exited: boolean;
  readonly exitCode: number | null;
  readonly exitSignal: NodeJS.Signals | null;
  /** Sends a signal and waits for the exit (`SIGKILL` is the `kill -9`). */
  kill(signal: NodeJS.Signals): Promise<void>;
  /** Graceful stop (the hub's own shutdown), SIGKILL after 20 s. */
  stop(): Promise<void>;
}

export interface HubProcessOptions {
  label: string;
  /** Directory of the log file `<label>.log`; appended to, so a restart continues it. */
  logDir: string;
  bootTimeoutMs?: number;
}

/** Starts the real hub in a child process and resolves once it listens. */
export async function startHubProcess(
  env: Record<string, string | undefined>,
  options: HubProcessOptions,
): Promise<HubProcess> {
  ensureHubChildBuilt();
  const logFile = join(options.logDir, `${options.label}.log`);
  const log: WriteStream = createWriteStream(logFile, { flags: 'a' });
  const child: ChildProcess = fork(CHILD, [], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', CHAOS_HUB_ENV: JSON.stringify(env) },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  void exited.then(() => setTimeout(() => log.end(), 100));

  const port = await new Promise<number>((done, fail) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(new Error(`hub ${options.label} did not start within the boot timeout; see ${logFile}`));
    }, options.bootTimeoutMs ?? 30_000);
    child.on('message', (raw) => {
      const m = raw as ChildToParent;
      clearTimeout(timer);
      if (m.type === 'ready') done(m.port);
      else fail(new Error(`hub ${options.label} failed to start: ${m.message}`));
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      fail(
        new Error(`hub ${options.label} exited during boot (${code ?? signal}); see ${logFile}`),
      );
    });
  });

  return {
    label: options.label,
    pid: child.pid!,
    url: `http://127.0.0.1:${port}`,
    logFile,
    get exited() {
      return child.exitCode !== null || child.signalCode !== null;
    },
    get exitCode() {
      return child.exitCode;
    },
    get exitSignal() {
      return child.signalCode;
    },
    async kill(signal) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      await exited;
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      if (child.connected) child.send({ type: 'stop' } satisfies ParentToChild);
      await Promise.race([exited, sleep(20_000)]);
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
}
