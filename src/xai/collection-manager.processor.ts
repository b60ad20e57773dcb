import { Injectable } from '@nestjs/common';
import { EntityLock } from '../core/lock/entity-lock.service.js';
import { Step, queue, type QueueStep } from '../core/steps/step.decorator.js';
import { DocumentTopics } from '../vmh/documents/document.jobs.js';
import { CollectionManagerService } from './collection-manager.service.js';
import { COLLECTION_LOCK_STEP, CollectionTopics, type CollectionEnsureEvent } from './xai.jobs.js';

@Step({
  name: 'xAI Collection Manager',
  description:
    'Ensures the xAI collection of an entity exists (verifies the stored xaiCollectionId, recreates on 404), ' +
    'writes xaiCollectionId back and enqueues a document update for every linked document after a create',
  flows: ['vmh-documents'],
  trigger: queue(CollectionTopics.Ensure),
  enqueues: [DocumentTopics.Update],
})
@Injectable()
export class CollectionManagerProcessor implements QueueStep<CollectionEnsureEvent> {
  constructor(
    private readonly collections: CollectionManagerService,
    private readonly lock: EntityLock,
  ) {}

  handle(event: CollectionEnsureEvent) {
    return this.lock.runExclusive(
      { step: COLLECTION_LOCK_STEP, entityType: event.entityType, entityId: event.entityId },
      event,
      (e) =>
        this.collections.ensureCollection(
          { entityType: e.entityType, entityId: e.entityId },
          e.traceId,
        ),
    );
  }
}
