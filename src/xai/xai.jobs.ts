import { defineTopic, type EntityEvent } from '../core/queue/topic.js';

/**
 * An entity of a collection type (CVmhRaeumungsklage, Account, CBeteiligte) may
 * need its xAI collection created or verified. Coalesced per entity: events for
 * an entity whose job still waits add nothing.
 */
export interface CollectionEnsureEvent extends EntityEvent {
  entityType: string;
}

export const CollectionTopics = {
  Ensure: defineTopic<CollectionEnsureEvent>('xai.collection.ensure'),
} as const;

export const collectionEnsureKey = (
  e: Pick<CollectionEnsureEvent, 'entityType' | 'entityId'>,
): string => `${e.entityType}:${e.entityId}`;

/** Lock step name; the key becomes `collection_create:{entityType}:{entityId}`. */
export const COLLECTION_LOCK_STEP = 'collection_create';
