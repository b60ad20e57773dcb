import { defineTopic, type EntityEvent } from '../../core/queue/topic.js';

/** Queue topics of the Beteiligte sync; one job per EspoCRM CBeteiligte id. */
export const BeteiligteTopics = {
  Create: defineTopic<EntityEvent>('vmh.beteiligte.create'),
  Update: defineTopic<EntityEvent>('vmh.beteiligte.update'),
  Delete: defineTopic<EntityEvent>('vmh.beteiligte.delete'),
};
