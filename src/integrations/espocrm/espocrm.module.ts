import { Module } from '@nestjs/common';
import { EspoCrmClient } from './espocrm.client.js';

/** Provides the EspoCRM client; AppConfig and HubMetrics come from the app's global providers. */
@Module({
  providers: [EspoCrmClient],
  exports: [EspoCrmClient],
})
export class EspoCrmModule {}
