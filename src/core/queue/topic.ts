/** Every job carries the trace id of the request or tick that caused it. */
export interface JobPayload {
  traceId: string;
  /** Set on the delayed check after a busy lock (see EntityLock); processors pass it through. */
  pendingCheck?: boolean;
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
}

export function defineTopic<P extends JobPayload>(name: string): Topic<P> {
  const parts = name.split('.');
  if (parts.length < 2 || parts.some((p) => !/^[a-z][a-z0-9_]*$/.test(p))) {
    throw new Error(`topic "${name}" must be lower-case and dotted, e.g. vmh.document.update`);
  }
  return { name, queue: parts.slice(0, -1).join('-'), job: parts[parts.length - 1] };
}

/** The queue that runs cron ticks; its jobs are named by function id. */
export const CRON_QUEUE = 'hub-cron';
