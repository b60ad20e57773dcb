import { type DynamicModule, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { AppConfig, type EnvSource } from './app-config.js';

/**
 * What ConfigService holds: the typed configuration under one key
 * (`configService.get('hub', { infer: true })` with `ConfigService<HubConfigValues, true>`).
 * Consumers inject `AppConfig` itself.
 */
export interface HubConfigValues {
  hub: AppConfig;
}

/**
 * The `validate` of the app's ConfigModule: the class-validator schema (env.schema.ts)
 * names every bad variable at once (ConfigValidationError), and the typed AppConfig is
 * built from what it returns. Returned under one key holding an object, because
 * ConfigModule copies every string, number or boolean `validate` returns into the
 * global `process.env`, which would leak one app's settings into the next app a test
 * builds in the same process (and into every child process it spawns).
 */
export function validateHubEnv(env: EnvSource): HubConfigValues {
  return { hub: AppConfig.fromEnv(env) };
}

/**
 * @nestjs/config over one explicit environment, never the global one: tests, the
 * sandbox and the benchmark build several apps with different environments in one
 * process. The caller reads the env file (load-config.ts: `.env` or ENV_FILE, with
 * Node's parser) before the app exists, since the logger and the exit code 78 need the
 * configuration first; the production rules (production-rules.ts) stay there too.
 */
@Module({})
export class HubConfigModule {
  static async forRoot(env: EnvSource): Promise<DynamicModule> {
    let values: HubConfigValues | undefined;
    const configModule = await ConfigModule.forRoot({
      isGlobal: true,
      // No `.env` read here, and `validate` gets no copy of process.env: the
      // environment is `env`, closed over.
      ignoreEnvFile: true,
      validatePredefined: false,
      // ConfigService.get never falls back to process.env either.
      skipProcessEnv: true,
      validate: () => (values = validateHubEnv(env)),
    });
    if (!values) throw new Error('ConfigModule.forRoot did not call validate');
    return {
      module: HubConfigModule,
      global: true,
      imports: [configModule],
      providers: [{ provide: AppConfig, useValue: values.hub }],
      exports: [AppConfig, configModule],
    };
  }
}
