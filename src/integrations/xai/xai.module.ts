import { Module } from '@nestjs/common';
import { upstreamHttpModule } from '../../core/http/upstream-http.js';
import { XaiClient, xaiHttpTarget } from './xai.client.js';

/**
 * Provides the xAI client and its HttpService (@nestjs/axios, xAI's defaults);
 * `AppConfig` and `HubMetrics` come from the app's global providers.
 */
@Module({
  imports: [upstreamHttpModule('xai', xaiHttpTarget)],
  providers: [XaiClient],
  exports: [XaiClient],
})
export class XaiModule {}
