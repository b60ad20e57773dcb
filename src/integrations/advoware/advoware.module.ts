import { Module } from '@nestjs/common';
import { upstreamHttpModule } from '../../core/http/upstream-http.js';
import { AdvowareClient, advowareHttpTarget } from './advoware.client.js';

/**
 * Provides the Advoware client and its HttpService (@nestjs/axios, Advoware's defaults);
 * AppConfig, HubMetrics and REDIS_CACHE come from the app's global providers.
 */
@Module({
  imports: [upstreamHttpModule('advoware', advowareHttpTarget)],
  providers: [AdvowareClient],
  exports: [AdvowareClient],
})
export class AdvowareModule {}
