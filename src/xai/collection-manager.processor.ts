import { Process, Processor } from '../core/queue/processor.decorator.js';
import { Step } from '../core/steps/step.decorator.js';
import { CollectionManagerService } from './collection-manager.service.js';
import {
  CollectionLock,
  CollectionQueue,
  CollectionTopics,
  DocumentTopics,
  type CollectionEnsureEvent,
} from './xai.jobs.js';

@Processor(CollectionQueue)
export class CollectionManagerProcessor {
  constructor(private readonly collections: CollectionManagerService) {}

  @Step({
    name: 'xAI Collection Manager',
    description:
      'Ensures the xAI collection of an entity exists (verifies the stored xaiCollectionId, recreates on 404), ' +
      'writes xaiCollectionId back and enqueues a document update for every linked document after a create',
    flows: ['vmh-documents'],
    enqueues: [DocumentTopics.Update],
  })
  @Process(CollectionTopics.Ensure, { lock: CollectionLock })
  ensure(e: CollectionEnsureEvent) {
    return this.collections.ensureCollection(
      { entityType: e.entityType, entityId: e.entityId },
      e.traceId,
    );
  }
}
