import { Module } from '@nestjs/common';
import { AdvowareClient } from './advoware.client.js';

/** AppConfig, HubMetrics and REDIS_CACHE come from the app's global providers. */
@Module({
  providers: [AdvowareClient],
  exports: [AdvowareClient],
})
export class AdvowareModule {}
