import { Logger } from '@nestjs/common';
import { OnFinalFailure, Process, Processor } from '../../core/queue/processor.decorator.js';
import type { EntityEvent } from '../../core/queue/topic.js';
import { Step } from '../../core/steps/step.decorator.js';
import { CollectionTopics } from '../../xai/xai.jobs.js';
import { DocumentSyncService } from './document-sync.service.js';
import {
  DOCUMENT_ENTITY,
  DocumentLock,
  DocumentQueue,
  DocumentTopics,
  type DocumentAction,
  type DocumentJob,
} from './document.jobs.js';

/**
 * Sync and delete share one lock per document, so a delete never races a sync of the
 * same file; the action travels in the payload because a trailing run executes the
 * holder's method with the newest pending payload, which may come from the other topic.
 */
const withAction =
  (action: DocumentAction) =>
  (event: EntityEvent): DocumentJob => ({ ...event, action });

@Processor(DocumentQueue)
export class DocumentSyncProcessor {
  private readonly logger = new Logger(DocumentSyncProcessor.name);

  constructor(private readonly sync: DocumentSyncService) {}

  @Step({
    name: 'VMH Document Sync',
    description:
      'Brings a CDokumente file into the xAI collection of every linked entity: cheap check first, upload once, ' +
      'add to missing collections, remove from collections it no longer belongs to',
    flows: ['vmh-documents'],
    enqueues: [CollectionTopics.Ensure],
  })
  @Process(DocumentTopics.Create, { lock: DocumentLock, payload: withAction('sync') })
  @Process(DocumentTopics.Update, { lock: DocumentLock, payload: withAction('sync') })
  syncDocument(job: DocumentJob) {
    return this.sync.run(job);
  }

  @Step({
    name: 'VMH Document Delete',
    description:
      'Removes a deleted CDokumente file from every xAI collection; the file itself is kept',
    flows: ['vmh-documents'],
  })
  @Process(DocumentTopics.Delete, { lock: DocumentLock, payload: withAction('delete') })
  removeDocument(job: DocumentJob) {
    return this.sync.run(job);
  }

  @OnFinalFailure(DocumentTopics.Create, DocumentTopics.Update)
  async recordFailure(event: EntityEvent, error: unknown): Promise<void> {
    await this.sync.recordFailure(event.entityId, error);
    this.logger.warn(`document ${DOCUMENT_ENTITY}/${event.entityId} marked failed`);
  }
}
