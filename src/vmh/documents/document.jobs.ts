import { defineTopic, type EntityEvent } from '../../core/queue/topic.js';

/** EspoCRM's CDokumente webhooks, one topic per action (queue `vmh-document`). */
export const DocumentTopics = {
  Create: defineTopic<EntityEvent>('vmh.document.create'),
  Update: defineTopic<EntityEvent>('vmh.document.update'),
  Delete: defineTopic<EntityEvent>('vmh.document.delete'),
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
/** Lock step name; the key becomes `document_sync:CDokumente:{id}`. */
export const DOCUMENT_LOCK_STEP = 'document_sync';
