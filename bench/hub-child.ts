import 'reflect-metadata';
import { readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { createApp } from '../src/app.factory.js';
import { AppConfig } from '../src/config/app-config.js';
import { BenchModule } from './bench.module.js';
import type { HubToParent, ParentToHub } from './support/hub-process.js';

/**
 * The hub under test in a process of its own, so its RSS and CPU are its own and
 * not the load generator's or the fakes'. Driven over IPC by `hub-process.ts`;
 * exits when the parent goes away, so it can never outlive a benchmark run.
 */
function send(message: HubToParent): void {
  process.send?.(message);
}

/** Linux keeps the peak resident set (VmHWM); elsewhere the sampled maximum is all there is. */
function kernelPeakRss(): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/**
 * BENCH_CPU_PROF=window: the profiler runs from the scenario's first CPU reading to its
 * second, so the profile shows the measured window and not the boot or the warm-up.
 */
function profileWindow(path: string | undefined): () => Promise<void> {
  if (!path) return async () => undefined;
  const session = new Session();
  let state: 'idle' | 'running' | 'done' = 'idle';
  return async () => {
    if (state === 'idle') {
      state = 'running';
      session.connect();
      await session.post('Profiler.enable');
      await session.post('Profiler.start');
    } else if (state === 'running') {
      state = 'done';
      const { profile } = await session.post('Profiler.stop');
      writeFileSync(path, JSON.stringify(profile));
      session.disconnect();
    }
  };
}

async function main(): Promise<void> {
  const toggleProfile = profileWindow(process.env.BENCH_PROFILE_WINDOW);
  const env = JSON.parse(process.env.BENCH_HUB_ENV ?? '{}') as Record<string, string>;
  const config = AppConfig.fromEnv(env);
  const app = await createApp(config, { extraModules: [BenchModule] });
  await app.listen(0, '127.0.0.1');
  // The kernel's VmHWM is the exact peak; sampling only adds the heap breakdown near it,
  // rarely enough that it does not show in a CPU profile.
  let sampled = process.memoryUsage();
  setInterval(() => {
    if (process.memoryUsage.rss() > sampled.rss) sampled = process.memoryUsage();
  }, 250).unref();

  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    const force = setTimeout(() => process.exit(code), 10_000);
    force.unref();
    await app.close().catch(() => undefined);
    process.exit(code);
  };
  process.on('disconnect', () => void stop(0));
  process.on('message', (raw) => {
    const message = raw as ParentToHub;
    if (message.type === 'peak') {
      send({ type: 'peak', sampled, kernelPeakRss: kernelPeakRss() });
    } else if (message.type === 'gc') {
      const gc = (globalThis as { gc?: () => void }).gc;
      gc?.();
      send({ type: 'gc', collected: gc !== undefined, memory: process.memoryUsage() });
    } else if (message.type === 'cpu') {
      const usage = process.cpuUsage();
      void toggleProfile().finally(() => send({ type: 'cpu', usage }));
    } else if (message.type === 'stop') {
      void stop(0);
    }
  });
  const { port } = app.getHttpServer().address() as { port: number };
  send({ type: 'ready', port });
}

main().catch((err: unknown) => {
  send({
    type: 'failed',
    message: err instanceof Error ? (err.stack ?? err.message) : String(err),
  });
  process.exit(1);
});
