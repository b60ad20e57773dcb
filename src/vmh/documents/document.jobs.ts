import { entityLock } from '../../core/queue/processor.decorator.js';
import type { EntityEvent } from '../../core/queue/topic.js';

// The queue and its topics are defined beside the collection manager, which enqueues
// document updates (xai/xai.jobs.ts says why); this module's files import them from here.
export { DocumentQueue, DocumentTopics } from '../../xai/xai.jobs.js';

export type DocumentAction = 'sync' | 'delete';

/**
 * What runs under the document lock. The action travels in the payload because a
 * trailing run executes the holder's function with the newest pending payload,
 * which may come from the other topic (a delete arriving during a sync).
 */
export interface DocumentJob extends EntityEvent {
  action: DocumentAction;
}

export const DOCUMENT_ENTITY = 'CDokumente';
/** Sync and delete share one lock per document: `document_sync:CDokumente:{id}`. */
export const DocumentLock = entityLock<DocumentJob>('document_sync', 'CDokumente');
