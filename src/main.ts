import 'reflect-metadata';
import { createApp, createLogger } from './app.factory.js';
import { loadConfig } from './config/load-config.js';
import { checkProduction } from './config/production-rules.js';

async function bootstrap(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config);
  // Accepted risks are repeated at every start, so they cannot be forgotten in the journal.
  for (const warning of checkProduction(config).warnings)
    logger.error(`UNSAFE: ${warning}`, 'Config');
  const app = await createApp(config, { logger });
  await app.listen(config.port, '0.0.0.0');
}

void bootstrap();
