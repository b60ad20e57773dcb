import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import { testEnv } from '../../test/support/test-env.js';
import { AppConfig, type EnvSource } from './app-config.js';
import { HubConfigModule, type HubConfigValues } from './config.module.js';
import { ConfigValidationError } from './env.schema.js';

async function contextFor(env: EnvSource) {
  @Module({ imports: [HubConfigModule.forRoot(env)] })
  class Root {}
  return NestFactory.createApplicationContext(Root, { logger: false });
}

describe('HubConfigModule (@nestjs/config over one explicit environment)', () => {
  it('gives each app the AppConfig of its own environment, and leaves process.env alone', async () => {
    const before = { ...process.env };
    const a = await contextFor(testEnv({}, { PORT: '4101', QUEUE_PREFIX: 'cfg-a' }));
    const b = await contextFor(testEnv({}, { PORT: '4102', QUEUE_PREFIX: 'cfg-b' }));
    try {
      expect(a.get(AppConfig).port).toBe(4101);
      expect(b.get(AppConfig).port).toBe(4102);
      expect(a.get(AppConfig).queue.prefix).toBe('cfg-a');
      const service = b.get<ConfigService<HubConfigValues, true>>(ConfigService);
      expect(service.get('hub', { infer: true })).toBe(b.get(AppConfig));
      expect(service.get('hub.queue.prefix', { infer: true })).toBe('cfg-b');
      // skipProcessEnv: a variable of the process is not configuration of the app.
      expect(b.get(ConfigService).get('PATH')).toBeUndefined();
      expect(process.env).toEqual(before);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('ignores the process environment: an app is built from the env it is given only', async () => {
    const saved = process.env.PORT;
    process.env.PORT = '4999';
    try {
      const app = await contextFor(testEnv({}, { PORT: '4103' }));
      expect(app.get(AppConfig).port).toBe(4103);
      await app.close();
    } finally {
      if (saved === undefined) delete process.env.PORT;
      else process.env.PORT = saved;
    }
  });

  it('refuses an invalid environment with every bad variable named (the schema of env.schema.ts)', async () => {
    const bad = testEnv({}, { REDIS_PORT: 'abc', APP_ROLE: 'both', ESPOCRM_API_KEY: undefined });
    let error: unknown;
    try {
      await HubConfigModule.forRoot(bad);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigValidationError);
    const problems = (error as ConfigValidationError).problems.map((p) => p.split(':')[0]);
    expect(problems.sort()).toEqual(['APP_ROLE', 'ESPOCRM_API_KEY', 'REDIS_PORT']);
  });

  it('AppConfig.sourceOf gives back the environment a config was built from', () => {
    const env = testEnv({}, { PORT: '4104' });
    const config = AppConfig.fromEnv(env);
    expect(AppConfig.sourceOf(config)).toEqual(env);
    expect(AppConfig.sourceOf(config)).not.toBe(env); // a copy: later edits of `env` do not count
  });
});
