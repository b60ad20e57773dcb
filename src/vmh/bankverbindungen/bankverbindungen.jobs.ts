import { defineTopic, type EntityEvent } from '../../core/queue/topic.js';

/** One job per EspoCRM CBankverbindungen id. */
export interface BankverbindungEvent extends EntityEvent {
  /**
   * How often this account has already been put back to wait for its party's
   * first sync (absent on events from webhooks and the cron).
   */
  partyWaitRound?: number;
}

/**
 * Queue topics of the Bankverbindungen sync (queue `vmh-bankverbindungen`). All three
 * run the same reconciliation: what to do is read from the record, not the event, so
 * a replayed or reordered event cannot undo a newer state.
 */
export const BankverbindungenTopics = {
  Create: defineTopic<BankverbindungEvent>('vmh.bankverbindungen.create'),
  Update: defineTopic<BankverbindungEvent>('vmh.bankverbindungen.update'),
  Delete: defineTopic<BankverbindungEvent>('vmh.bankverbindungen.delete'),
};

/** The lock name of the step (key `bankverbindungen_sync:CBankverbindungen:{id}`). */
export const BANKVERBINDUNGEN_LOCK_STEP = 'bankverbindungen_sync';
export const BANKVERBINDUNGEN_ENTITY = 'CBankverbindungen';

/**
 * Rounds an account waits for its party's first sync before it leaves the rest to
 * the cron (delays follow the queue backoff; with the defaults about half an hour).
 */
export const MAX_PARTY_WAIT_ROUNDS = 12;
