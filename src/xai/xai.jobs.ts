import { defineTopic, type EntityEvent } from '../core/queue/topic.js';
import type { StepLock } from '../core/steps/step.decorator.js';

/** The Bull queue of the collection manager (as the dashboard shows it). */
export const CollectionQueue = 'xai-collection';

/**
 * An entity of a collection type (CVmhRaeumungsklage, Account, CBeteiligte) may
 * need its xAI collection created or verified. Coalesced per entity: events for
 * an entity whose job still waits add nothing.
 */
export interface CollectionEnsureEvent extends EntityEvent {
  entityType: string;
}

export const CollectionTopics = {
  Ensure: defineTopic<CollectionEnsureEvent>('xai.collection.ensure', { queue: CollectionQueue }),
} as const;

/** The Bull queue of the document sync (as the dashboard shows it). */
export const DocumentQueue = 'vmh-document';

/**
 * EspoCRM's CDokumente webhooks, one topic per action. Defined here, not in
 * vmh/documents: the collection manager enqueues a document update for each of an
 * entity's documents after a create, and vmh/documents depends on this folder, not
 * the other way round. vmh/documents/document.jobs.ts re-exports them.
 */
export const DocumentTopics = {
  Create: defineTopic<EntityEvent>('vmh.document.create', { queue: DocumentQueue }),
  Update: defineTopic<EntityEvent>('vmh.document.update', { queue: DocumentQueue }),
  Delete: defineTopic<EntityEvent>('vmh.document.delete', { queue: DocumentQueue }),
} as const;

export const collectionEnsureKey = (
  e: Pick<CollectionEnsureEvent, 'entityType' | 'entityId'>,
): string => `${e.entityType}:${e.entityId}`;

/** One lock per entity of a collection type: `collection_create:{entityType}:{entityId}`. */
export const CollectionLock: StepLock<CollectionEnsureEvent> = {
  step: 'collection_create',
  entityTypes: (config) => config.xai.collectionEntityTypes,
  key: (e) => ({ entityType: e.entityType, entityId: e.entityId }),
};
