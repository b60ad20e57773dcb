import { Module } from '@nestjs/common';
import { registerTopicQueues } from '../../core/queue/queue-names.js';
import { AdvowareModule } from '../../integrations/advoware/advoware.module.js';
import { EspoCrmModule } from '../../integrations/espocrm/espocrm.module.js';
import { BankverbindungenSyncCron } from './bankverbindungen-sync.cron.js';
import { BankverbindungenSyncProcessor } from './bankverbindungen-sync.processor.js';
import { BankverbindungLocationStore } from './bankverbindung-location.store.js';
import { BankverbindungenDeleteService } from './bankverbindungen-delete.service.js';
import { BankverbindungenRecords } from './bankverbindungen-records.service.js';
import { BankverbindungenSyncService } from './bankverbindungen-sync.service.js';
import { BankverbindungenWebhookController } from './bankverbindungen-webhook.controller.js';
import { BankverbindungenTopics } from './bankverbindungen.jobs.js';

/**
 * EspoCRM CBankverbindungen → Advoware. The party itself is synced by the Beteiligte
 * module, whose queue this one enqueues to (so the app must load that module too).
 */
@Module({
  imports: [
    registerTopicQueues(
      BankverbindungenTopics.Create,
      BankverbindungenTopics.Update,
      BankverbindungenTopics.Delete,
    ),
    EspoCrmModule,
    AdvowareModule,
  ],
  controllers: [BankverbindungenWebhookController],
  providers: [
    BankverbindungenSyncService,
    BankverbindungenRecords,
    BankverbindungenDeleteService,
    BankverbindungLocationStore,
    BankverbindungenSyncProcessor,
    BankverbindungenSyncCron,
  ],
})
export class BankverbindungenModule {}
