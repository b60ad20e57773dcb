import { entityLock } from '../../core/queue/processor.decorator.js';
import { defineTopic, type EntityEvent } from '../../core/queue/topic.js';

/** The Bull queue of the document sync (as the dashboard shows it). */
export const DocumentQueue = 'vmh-document';

/** EspoCRM's CDokumente webhooks, one topic per action. */
export const DocumentTopics = {
  Create: defineTopic<EntityEvent>('vmh.document.create', { queue: DocumentQueue }),
  Update: defineTopic<EntityEvent>('vmh.document.update', { queue: DocumentQueue }),
  Delete: defineTopic<EntityEvent>('vmh.document.delete', { queue: DocumentQueue }),
} as const;

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
