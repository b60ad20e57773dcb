import { Module } from '@nestjs/common';
import { GoogleCalendarClient } from './google-calendar.client.js';

/** AppConfig and HubMetrics come from the app's global providers. */
@Module({
  providers: [GoogleCalendarClient],
  exports: [GoogleCalendarClient],
})
export class GoogleCalendarModule {}
