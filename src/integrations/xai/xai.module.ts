import { Module } from '@nestjs/common';
import { XaiClient } from './xai.client.js';

/** Provides the xAI client; `AppConfig` and `HubMetrics` come from the app's global providers. */
@Module({
  providers: [XaiClient],
  exports: [XaiClient],
})
export class XaiModule {}
