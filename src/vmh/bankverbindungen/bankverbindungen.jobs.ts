import { entityLock } from '../../core/queue/processor.decorator.js';
import { defineTopic, type EntityEvent } from '../../core/queue/topic.js';

/** The Bull queue of the Bankverbindungen sync (as the dashboard shows it). */
export const BankverbindungenQueue = 'vmh-bankverbindungen';

/** One job per EspoCRM CBankverbindungen id. */
export interface BankverbindungEvent extends EntityEvent {
  /**
   * How often this account has already been put back to wait for its party's
   * first sync (absent on events from webhooks and the cron).
   */
  partyWaitRound?: number;
}

/**
 * Queue topics of the Bankverbindungen sync. All three
 * run the same reconciliation: what to do is read from the record, not the event, so
 * a replayed or reordered event cannot undo a newer state.
 */
export const BankverbindungenTopics = {
  Create: defineTopic<BankverbindungEvent>('vmh.bankverbindungen.create', {
    queue: BankverbindungenQueue,
  }),
  Update: defineTopic<BankverbindungEvent>('vmh.bankverbindungen.update', {
    queue: BankverbindungenQueue,
  }),
  Delete: defineTopic<BankverbindungEvent>('vmh.bankverbindungen.delete', {
    queue: BankverbindungenQueue,
  }),
};

export const BANKVERBINDUNGEN_ENTITY = 'CBankverbindungen';
/** One lock per account for every action: `bankverbindungen_sync:CBankverbindungen:{id}`. */
export const BankverbindungenLock = entityLock<BankverbindungEvent>(
  'bankverbindungen_sync',
  'CBankverbindungen',
);

/**
 * Rounds an account waits for its party's first sync before it leaves the rest to
 * the cron (delays follow the queue backoff; with the defaults about half an hour).
 */
export const MAX_PARTY_WAIT_ROUNDS = 12;
