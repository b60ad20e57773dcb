import { Injectable, Logger } from '@nestjs/common';
import { EntityLock } from '../../core/lock/entity-lock.service.js';
import type { EntityEvent } from '../../core/queue/topic.js';
import { Step, queue, type QueueStep } from '../../core/steps/step.decorator.js';
import { CollectionTopics } from '../../xai/xai.jobs.js';
import { DocumentSyncService } from './document-sync.service.js';
import {
  DOCUMENT_ENTITY,
  DOCUMENT_LOCK_STEP,
  DocumentTopics,
  type DocumentJob,
} from './document.jobs.js';

/** Sync and delete share one lock per document, so a delete never races a sync of the same file. */
function runLocked(lock: EntityLock, sync: DocumentSyncService, job: DocumentJob) {
  return lock.runExclusive(
    { step: DOCUMENT_LOCK_STEP, entityType: DOCUMENT_ENTITY, entityId: job.entityId },
    job,
    (j) => sync.run(j),
  );
}

@Step({
  name: 'VMH Document Sync',
  description:
    'Brings a CDokumente file into the xAI collection of every linked entity: cheap check first, upload once, ' +
    'add to missing collections, remove from collections it no longer belongs to',
  flows: ['vmh-documents'],
  trigger: queue(DocumentTopics.Create, DocumentTopics.Update),
  enqueues: [CollectionTopics.Ensure],
})
@Injectable()
export class DocumentSyncProcessor implements QueueStep<EntityEvent> {
  private readonly logger = new Logger(DocumentSyncProcessor.name);

  constructor(
    private readonly sync: DocumentSyncService,
    private readonly lock: EntityLock,
  ) {}

  handle(event: EntityEvent) {
    return runLocked(this.lock, this.sync, { ...event, action: 'sync' });
  }

  async onFailure(event: EntityEvent, error: unknown, info: { final: boolean }): Promise<void> {
    if (!info.final) return;
    await this.sync.recordFailure(event.entityId, error);
    this.logger.warn(`document ${DOCUMENT_ENTITY}/${event.entityId} marked failed`);
  }
}

@Step({
  name: 'VMH Document Delete',
  description:
    'Removes a deleted CDokumente file from every xAI collection; the file itself is kept',
  flows: ['vmh-documents'],
  trigger: queue(DocumentTopics.Delete),
})
@Injectable()
export class DocumentDeleteProcessor implements QueueStep<EntityEvent> {
  constructor(
    private readonly sync: DocumentSyncService,
    private readonly lock: EntityLock,
  ) {}

  handle(event: EntityEvent) {
    return runLocked(this.lock, this.sync, { ...event, action: 'delete' });
  }
}
