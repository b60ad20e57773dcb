import { existsSync } from 'node:fs';
import { AppConfig } from './app-config.js';
import { ConfigValidationError } from './env.schema.js';
import { checkProduction } from './production-rules.js';

/** EX_CONFIG: systemd's RestartPreventExitStatus=78 keeps it from looping on a bad file. */
export const EXIT_CONFIG = 78;

/**
 * The one place that reads `process.env`: an `.env` file (if present; `ENV_FILE`
 * names another) under the real environment, validated as a whole. A bad
 * configuration stops the process with every problem named; so does, in
 * production, a setting that would let anyone in (production-rules.ts).
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const file = env.ENV_FILE ?? '.env';
  if (existsSync(file)) process.loadEnvFile(file);
  let config: AppConfig;
  try {
    config = AppConfig.fromEnv(process.env);
  } catch (err) {
    if (err instanceof ConfigValidationError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(EXIT_CONFIG);
    }
    throw err;
  }
  const { problems } = checkProduction(config);
  if (problems.length > 0) {
    process.stderr.write(
      `${new ConfigValidationError(problems).message.replace(':', ' for production:')}\n`,
    );
    process.exit(EXIT_CONFIG);
  }
  return config;
}
