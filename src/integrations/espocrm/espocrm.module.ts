import { Module } from '@nestjs/common';
import { upstreamHttpModule } from '../../core/http/upstream-http.js';
import { EspoCrmClient, espoCrmHttpTarget } from './espocrm.client.js';

/**
 * Provides the EspoCRM client and its HttpService (@nestjs/axios, EspoCRM's defaults);
 * AppConfig and HubMetrics come from the app's global providers.
 */
@Module({
  imports: [upstreamHttpModule('espocrm', espoCrmHttpTarget)],
  providers: [EspoCrmClient],
  exports: [EspoCrmClient],
})
export class EspoCrmModule {}
