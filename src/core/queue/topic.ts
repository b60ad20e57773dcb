/** Every job carries the trace id of the request or tick that caused it. */
export interface JobPayload {
  traceId: string;
  /** Set on the delayed check after a busy lock (see EntityLock); processors pass it through. */
  pendingCheck?: boolean;
  /**
   * Set by the console (invoke, retry): an operator asked for this run, so a step
   * runs it even where it would wait (e.g. a failed entity's `syncNextRetry`).
   */
  manual?: boolean;
}

/** The usual payload: one EspoCRM entity touched by a webhook or a cron. */
export interface EntityEvent extends JobPayload {
  entityId: string;
  /** Set by the intake when the event was coalesced with others; the worker clears it. */
  dedupeKey?: string;
}

/**
 * A topic keeps the old system's dotted name (`vmh.document.update`); the Bull
 * queue is the family (`vmh-document`) and the job name the action (`update`).
 */
export interface Topic<P extends JobPayload = JobPayload> {
  readonly name: string;
  readonly queue: string;
  readonly job: string;
  /** Phantom field that carries the payload type; never set. */
  readonly payload?: P;
  /** Checks a hand-made payload (`POST /_console/invoke`); answers the problem or undefined. */
  readonly validate: (data: Record<string, unknown>) => string | undefined;
}

const ESPO_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** The check for the common payload: one EspoCRM entity id. */
export function validateEntityEvent(data: Record<string, unknown>): string | undefined {
  return typeof data.entityId === 'string' && ESPO_ID.test(data.entityId)
    ? undefined
    : 'data.entityId must be an EspoCRM id';
}

/**
 * Defines a topic on the Bull queue it names literally (the name a person sees in
 * the dashboard); the job name is the topic's last word. `validate` defaults to the
 * entity-event check, so a topic with another payload passes its own.
 */
export function defineTopic<P extends JobPayload>(
  name: string,
  options: {
    queue: string;
    validate?: (data: Record<string, unknown>) => string | undefined;
  },
): Topic<P> {
  const parts = name.split('.');
  if (parts.length < 2 || parts.some((p) => !/^[a-z][a-z0-9_]*$/.test(p))) {
    throw new Error(`topic "${name}" must be lower-case and dotted, e.g. vmh.document.update`);
  }
  if (!/^[a-z][a-z0-9-]*$/.test(options.queue)) {
    throw new Error(
      `queue "${options.queue}" of topic ${name} must be lower-case, e.g. vmh-document`,
    );
  }
  return {
    name,
    queue: options.queue,
    job: parts[parts.length - 1],
    validate: options.validate ?? validateEntityEvent,
  };
}

/** The queue that runs cron ticks; its jobs are named by function id. */
export const CRON_QUEUE = 'hub-cron';
