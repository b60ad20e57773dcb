import autocannon from 'autocannon';
import { signEspoWebhook } from '../../src/core/webhook/espo-signature.js';
import { summariseLoad, type LoadResult } from './load.js';

/** The EspoCRM webhook the benchmark signs as: its id and secret, as in ESPOCRM_WEBHOOK_SECRETS. */
export interface WebhookSigner {
  webhookId: string;
  secret: string;
}

/**
 * Webhook bodies made (and signed) before a run, so the load generator only picks the
 * next one: a body whose ids change per request cannot carry a fixed signature, and
 * signing inside autocannon's loop would put the HMAC on the generator's side of the
 * measurement. Every id in a pool is distinct (`<prefix>-<body>[_<item>]`, base 36), so
 * a pool at least as large as a run sends no id twice and nothing can be coalesced.
 */
export interface BodyPool {
  prefix: string;
  idsPerBody: number;
  bodies: string[];
  /** The `Signature` header per body (EspoCRM ≥ 9.0); undefined for an unsigned pool. */
  signatures?: string[];
}

export function makeBodyPool(options: {
  prefix: string;
  size: number;
  idsPerBody: number;
  signer?: WebhookSigner;
}): BodyPool {
  const { prefix, size, idsPerBody, signer } = options;
  const bodies = new Array<string>(size);
  const signatures = signer ? new Array<string>(size) : undefined;
  for (let i = 0; i < size; i++) {
    const base = `${prefix}-${i.toString(36)}`;
    const ids =
      idsPerBody === 1
        ? [base]
        : Array.from({ length: idsPerBody }, (_, j) => `${base}_${j.toString(36)}`);
    bodies[i] = JSON.stringify(ids.map((id) => ({ id })));
    if (signatures && signer)
      signatures[i] = signEspoWebhook(signer.webhookId, signer.secret, bodies[i]);
  }
  return { prefix, idsPerBody, bodies, signatures };
}

/** The pool index of an event id from `pool`, or undefined for an id it never made. */
export function bodyIndexOf(pool: BodyPool, eventId: string): number | undefined {
  if (!eventId.startsWith(`${pool.prefix}-`)) return undefined;
  const rest = eventId.slice(pool.prefix.length + 1);
  const sep = rest.indexOf('_');
  if ((pool.idsPerBody === 1) !== sep < 0) return undefined;
  const i = parseInt(sep < 0 ? rest : rest.slice(0, sep), 36);
  return Number.isInteger(i) && i >= 0 && i < pool.bodies.length ? i : undefined;
}

/** What became of each body in a run. */
export const Answer = {
  NotSent: 0,
  /** Sent, no answer before the load stopped (in flight at the deadline). */
  Unanswered: 1,
  Ok: 2,
  Failed: 3,
} as const;

export interface PoolLoadResult extends LoadResult {
  /** Per pool body: an `Answer`. A body answered 2xx once stays `Ok`. */
  answers: Uint8Array;
  /** Requests sent (bodies taken from the pool). */
  sent: number;
  /** Requests that took a body already sent in this run (the pool was too small). */
  reused: number;
}

/**
 * One autocannon run cycling through `pool` (one body per request, in order, shared by
 * all connections), recording which bodies were answered 2xx. The request context is
 * per connection and autocannon sends one request at a time per connection, so the
 * body index set in `setupRequest` is the one `onResponse` answers.
 */
export async function postPool(options: {
  url: string;
  connections: number;
  durationS: number;
  pool: BodyPool;
}): Promise<PoolLoadResult> {
  const { pool } = options;
  const size = pool.bodies.length;
  const answers = new Uint8Array(size);
  let next = 0;
  let reused = 0;
  type Ctx = { i?: number };
  const result = await autocannon({
    url: options.url,
    method: 'POST',
    connections: options.connections,
    duration: options.durationS,
    headers: { 'content-type': 'application/json' },
    requests: [
      {
        method: 'POST',
        setupRequest: (req, context) => {
          const i = next % size;
          next += 1;
          if (answers[i] !== Answer.NotSent) reused += 1;
          else answers[i] = Answer.Unanswered;
          (context as Ctx).i = i;
          req.body = pool.bodies[i];
          if (pool.signatures) (req.headers ??= {}).signature = pool.signatures[i];
          return req;
        },
        onResponse: (status, _body, context) => {
          const i = (context as Ctx).i;
          if (i === undefined || answers[i] === Answer.Ok) return;
          answers[i] = status >= 200 && status < 300 ? Answer.Ok : Answer.Failed;
        },
      },
    ],
  });
  return { ...summariseLoad(result), answers, sent: next, reused };
}

/** The same load with one fixed body (and signature): no per-request work on the generator's side. */
export async function postFixed(options: {
  url: string;
  connections: number;
  durationS: number;
  body: string;
  signature?: string;
}): Promise<LoadResult> {
  const result = await autocannon({
    url: options.url,
    method: 'POST',
    connections: options.connections,
    duration: options.durationS,
    headers: {
      'content-type': 'application/json',
      ...(options.signature ? { signature: options.signature } : {}),
    },
    body: options.body,
  });
  return summariseLoad(result);
}
