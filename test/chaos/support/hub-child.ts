import 'reflect-metadata';
import { createApp } from '../../../src/app.factory.js';
import { AppConfig } from '../../../src/config/app-config.js';
import type { ChildToParent, ParentToChild } from './hub-process.js';

/**
 * One hub instance in a process of its own, so the chaos suite can `kill -9` it:
 * the real `createApp` with the environment the parent passes in `CHAOS_HUB_ENV`,
 * listening on a free loopback port. Its logs go to stdout/stderr, which the parent
 * writes to a file (the secret scan reads them). It exits when the parent goes away,
 * so a failed test run never leaves it behind.
 */
function send(message: ChildToParent): void {
  process.send?.(message);
}

async function main(): Promise<void> {
  const env = JSON.parse(process.env.CHAOS_HUB_ENV ?? '{}') as Record<string, string>;
  const config = AppConfig.fromEnv(env);
  const app = await createApp(config);
  await app.listen(0, '127.0.0.1');

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    setTimeout(() => process.exit(0), 15_000).unref();
    await app.close().catch(() => undefined);
    process.exit(0);
  };
  process.on('disconnect', () => void stop());
  process.on('message', (raw) => {
    if ((raw as ParentToChild).type === 'stop') void stop();
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
