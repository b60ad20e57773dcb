import { entityLock } from '../../core/queue/processor.decorator.js';
import { defineTopic, type EntityEvent } from '../../core/queue/topic.js';

/** The Bull queue of the Beteiligte sync (as the dashboard shows it). */
export const BeteiligteQueue = 'vmh-beteiligte';

/** Queue topics of the Beteiligte sync; one job per EspoCRM CBeteiligte id. */
export const BeteiligteTopics = {
  Create: defineTopic<EntityEvent>('vmh.beteiligte.create', { queue: BeteiligteQueue }),
  Update: defineTopic<EntityEvent>('vmh.beteiligte.update', { queue: BeteiligteQueue }),
  Delete: defineTopic<EntityEvent>('vmh.beteiligte.delete', { queue: BeteiligteQueue }),
};

/** One lock for all three topics: `beteiligte_sync:CBeteiligte:{id}`. */
export const BeteiligteLock = entityLock('beteiligte_sync', 'CBeteiligte');
