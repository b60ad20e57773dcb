import type { DynamicModule, Type } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { createApp } from '../../src/app.factory.js';
import { AppConfig } from '../../src/config/app-config.js';

export interface RunningHub {
  app: NestExpressApplication;
  config: AppConfig;
  url: string;
  /** fetch against the hub with the ops key unless headers say otherwise. */
  ops(path: string, init?: RequestInit): Promise<Response>;
  close(): Promise<void>;
}

/** Starts the real hub (real Redis, real HTTP on a free port) for an e2e test. */
export async function startHub(
  env: Record<string, string | undefined>,
  extraModules: Array<Type | DynamicModule> = [],
): Promise<RunningHub> {
  const config = AppConfig.fromEnv(env);
  const app = await createApp(config, { extraModules });
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address() as { port: number };
  const url = `http://127.0.0.1:${address.port}`;
  return {
    app,
    config,
    url,
    ops: (path, init = {}) =>
      fetch(`${url}${path}`, {
        ...init,
        headers: {
          'X-Api-Key': config.opsApiKey,
          'Content-Type': 'application/json',
          ...(init.headers ?? {}),
        },
      }),
    close: () => app.close(),
  };
}

export async function waitFor<T>(
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  { timeoutMs = 20_000, intervalMs = 50, what = 'condition' } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v as T;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export function postJson(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}
