import { Module } from '@nestjs/common';
import { registerTopicQueues } from '../../core/queue/queue-names.js';
import { EspoCrmModule } from '../../integrations/espocrm/espocrm.module.js';
import { XaiModule } from '../../integrations/xai/xai.module.js';
import { XaiCollectionsModule } from '../../xai/xai.module.js';
import { DocumentSyncProcessor } from './document-sync.processor.js';
import { DocumentDeleteService } from './document-delete.service.js';
import { DocumentLinksIndexStore } from './document-links-index.store.js';
import { DocumentLinksReader } from './document-links.reader.js';
import { DocumentSyncService } from './document-sync.service.js';
import { DocumentWebhookController } from './document-webhook.controller.js';
import { DocumentTopics } from './document.jobs.js';
import { EntityLinkIntake } from './entity-link-intake.service.js';
import { EntityLinkWebhookController } from './entity-link-webhook.controller.js';

/** CDokumente → xAI: document webhooks, entity link webhooks, document sync and delete. */
@Module({
  imports: [
    registerTopicQueues(DocumentTopics.Create, DocumentTopics.Update, DocumentTopics.Delete),
    EspoCrmModule,
    XaiModule,
    XaiCollectionsModule,
  ],
  controllers: [DocumentWebhookController, EntityLinkWebhookController],
  providers: [
    DocumentSyncService,
    DocumentLinksReader,
    DocumentLinksIndexStore,
    DocumentDeleteService,
    DocumentSyncProcessor,
    EntityLinkIntake,
  ],
})
export class DocumentsModule {}
