import { Module } from '@nestjs/common';
import { registerTopicQueues } from '../../core/queue/queue-names.js';
import { AdvowareModule } from '../../integrations/advoware/advoware.module.js';
import { EspoCrmModule } from '../../integrations/espocrm/espocrm.module.js';
import { AdressenSyncService } from './adressen-sync.service.js';
import { BeteiligteCreateService } from './beteiligte-create.service.js';
import { BeteiligteTopics } from './beteiligte.jobs.js';
import { BeteiligteSyncCron } from './beteiligte-sync.cron.js';
import { BeteiligteSyncProcessor } from './beteiligte-sync.processor.js';
import { BeteiligteSyncService } from './beteiligte-sync.service.js';
import { BeteiligteCreateJournal } from './create-journal.js';
import { BeteiligteWebhookController } from './beteiligte-webhook.controller.js';
import { KommunikationSyncService } from './kommunikation-sync.service.js';

@Module({
  imports: [
    registerTopicQueues(BeteiligteTopics.Create, BeteiligteTopics.Update, BeteiligteTopics.Delete),
    EspoCrmModule,
    AdvowareModule,
  ],
  controllers: [BeteiligteWebhookController],
  providers: [
    BeteiligteSyncProcessor,
    BeteiligteSyncCron,
    BeteiligteSyncService,
    BeteiligteCreateService,
    BeteiligteCreateJournal,
    KommunikationSyncService,
    AdressenSyncService,
  ],
})
export class BeteiligteModule {}
