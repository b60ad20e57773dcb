import { existsSync } from 'node:fs';
import { AppConfig } from './app-config.js';
import { ConfigValidationError } from './env.schema.js';

/**
 * The one place that reads `process.env`: an `.env` file (if present; `ENV_FILE`
 * names another) under the real environment, validated as a whole. A bad
 * configuration stops the process with every problem named.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const file = env.ENV_FILE ?? '.env';
  if (existsSync(file)) process.loadEnvFile(file);
  try {
    return AppConfig.fromEnv(process.env);
  } catch (err) {
    if (err instanceof ConfigValidationError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(78); // EX_CONFIG: systemd's Restart=on-failure should not loop on it
    }
    throw err;
  }
}
