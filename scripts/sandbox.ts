import 'reflect-metadata';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import { Redis } from 'ioredis';
import { createApp } from '../src/app.factory.js';
import { AppConfig } from '../src/config/app-config.js';
import { startFakeStack } from '../test/fakes/fake-stack.js';

/**
 * `npm run sandbox`: the hub with the values of `.env.example`, against the four
 * in-repo fakes on the addresses it names, with demo data. Starts a private
 * redis-server when nothing answers at the configured Redis.
 */
async function redisAnswers(host: string, port: number): Promise<boolean> {
  const r = new Redis({
    host,
    port,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  r.on('error', () => undefined);
  try {
    await r.connect();
    return (await r.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    r.disconnect();
  }
}

async function ensureRedis(host: string, port: number): Promise<ChildProcess | undefined> {
  if (await redisAnswers(host, port)) return undefined;
  console.log(`No Redis at ${host}:${port}; starting a private redis-server (stopped on exit).`);
  const proc = spawn(
    'redis-server',
    ['--port', String(port), '--bind', host, '--save', '', '--appendonly', 'no'],
    {
      stdio: 'ignore',
    },
  );
  proc.on('error', (err) => {
    console.error(
      `Could not start redis-server: ${err.message}. Install Redis or start it yourself.`,
    );
    process.exit(1);
  });
  for (let i = 0; i < 50; i++) {
    if (await redisAnswers(host, port)) return proc;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('redis-server did not answer');
}

async function main(): Promise<void> {
  const fileEnv = parseEnv(readFileSync(process.env.ENV_FILE ?? '.env.example', 'utf8'));
  const base = AppConfig.fromEnv({ ...fileEnv, CALENDAR_SYNC_ENABLED: 'false' });
  const redis = await ensureRedis(base.redis.host, base.redis.port);
  const fakes = await startFakeStack(base, { demo: true });
  const config = AppConfig.fromEnv({ ...fileEnv, ...fakes.env });
  // The generated Google key, for `ENV_FILE=.env.example,.build/sandbox.env npm run doctor`.
  mkdirSync('.build', { recursive: true });
  writeFileSync(
    '.build/sandbox.env',
    Object.entries(fakes.env)
      .map(([k, v]) => `${k}="${v}"\n`)
      .join(''),
  );
  const app = await createApp(config);
  await app.listen(config.port, '127.0.0.1');

  const url = `http://127.0.0.1:${config.port}`;
  console.log(`
bitbylaw-hub sandbox is running.
  Swagger UI   ${url}/api/docs         (webhooks, proxy, console: "Authorize" with the keys below)
  Console      ${url}/_console/           browser login: ops / ${config.opsApiKey}
  Queue board  ${url}/_console/queues/ui   same login
  Console API  ${url}/_console/functions   header X-Api-Key: ${config.opsApiKey}
  Health       ${url}/health/ready
  Proxy key    ${config.proxy.apiKeys[0] ?? '(none)'}
Fakes (GET /__fake/state, /__fake/requests; POST /__fake/reset, /__fake/seed, /__fake/faults):
  EspoCRM      ${fakes.espocrm.url}/api/v1
  Advoware     ${fakes.advoware.url}
  xAI          ${fakes.xai.url}
  Google       ${fakes.google.url}
Doctor:  ENV_FILE=.env.example,.build/sandbox.env npm run doctor   (read-only check of this config)
Try:  curl -s -XPOST ${url}/vmh/webhook/beteiligte/create -H 'Content-Type: application/json' -d '[{"id":"<id from GET ${fakes.espocrm.url}/__fake/state>"}]'
Stop with Ctrl+C.`);

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await app.close();
    await fakes.close();
    redis?.kill('SIGTERM');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
