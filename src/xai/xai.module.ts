import { Module } from '@nestjs/common';
import { registerTopicQueues } from '../core/queue/queue-names.js';
import { EspoCrmModule } from '../integrations/espocrm/espocrm.module.js';
import { XaiModule } from '../integrations/xai/xai.module.js';
import { CollectionAdoption } from './collection-adoption.service.js';
import { CollectionGenerationStore } from './collection-generation.store.js';
import { CollectionManagerProcessor } from './collection-manager.processor.js';
import { CollectionManagerService } from './collection-manager.service.js';
import { CollectionTopics } from './xai.jobs.js';

/** One xAI collection per entity of a collection type (DOMAIN.md "Documents → xAI"). */
@Module({
  imports: [registerTopicQueues(CollectionTopics.Ensure), EspoCrmModule, XaiModule],
  providers: [
    CollectionManagerService,
    CollectionManagerProcessor,
    CollectionAdoption,
    CollectionGenerationStore,
  ],
  exports: [CollectionManagerService, CollectionAdoption, CollectionGenerationStore],
})
export class XaiCollectionsModule {}
