import type { UpstreamSystem } from '../errors/upstream.errors.js';

/**
 * What shadow mode does with one would-be write (pure; shadow-policy.spec.ts).
 *
 * - `answer`: the caller gets a synthetic success and the run goes on. Only for
 *   writes whose answer the hub does not read for anything new: updates (the answer
 *   is the request body, which is what the hub just decided), deletes, memberships
 *   and links (no id), and Google events (the hub chooses their id itself).
 * - `stop`: a create whose id only the upstream can give. Inventing one would send
 *   the rest of the run after records that do not exist, so the run stops there with
 *   a recorded "would create, then stop" entry and ends as completed.
 */
export type ShadowKind = 'create' | 'update' | 'delete' | 'link' | 'membership';

export type ShadowDecision =
  | { action: 'answer'; kind: ShadowKind; status: number; data: unknown }
  | { action: 'stop'; kind: 'create' };

export interface ShadowWriteRequest {
  system: UpstreamSystem;
  method: string;
  /** The path as the upstream sees it (base path included, no query). */
  path: string;
  /** Parsed JSON body, when there is one. */
  body?: unknown;
}

const XAI_MEMBERSHIP = /^\/v1\/collections\/[^/]+\/documents\/[^/]+$/;
/** `/api/v1/{Entity}/{id}/{link}` (EspoCRM's API root is always /api/v1): a relationship, no new record. */
const ESPO_LINK = /\/api\/v1\/[A-Za-z][A-Za-z0-9]*\/[^/]+\/[A-Za-z][A-Za-z0-9]*$/;
const GOOGLE_EVENT = /\/calendars\/[^/]+\/events(\/[^/]+)?$/;

export function decideShadowWrite(req: ShadowWriteRequest): ShadowDecision {
  const method = req.method.toUpperCase();
  const id = lastSegment(req.path);
  if (method === 'DELETE') {
    // Google answers 204 without a body; the others' bodies are not read by the hub.
    return {
      action: 'answer',
      kind: 'delete',
      status: req.system === 'google' ? 204 : 200,
      data: req.system === 'google' ? '' : {},
    };
  }
  if (method === 'PUT' || method === 'PATCH') {
    const kind: ShadowKind =
      req.system === 'xai' && XAI_MEMBERSHIP.test(req.path) ? 'membership' : 'update';
    return { action: 'answer', kind, status: 200, data: echo(req.body, id) };
  }
  // POST
  if (req.system === 'xai' && XAI_MEMBERSHIP.test(req.path)) {
    return { action: 'answer', kind: 'membership', status: 200, data: {} };
  }
  if (req.system === 'espocrm' && ESPO_LINK.test(req.path)) {
    return { action: 'answer', kind: 'link', status: 200, data: true };
  }
  if (req.system === 'google' && GOOGLE_EVENT.test(req.path) && hasId(req.body)) {
    // The event id is the hub's own (eventIdFromFrNr), so nothing is invented.
    return { action: 'answer', kind: 'create', status: 200, data: req.body };
  }
  return { action: 'stop', kind: 'create' };
}

/** At most this many fields, each value cut to this length: the log stays small. */
const MAX_FIELDS = 24;
const MAX_VALUE = 120;

/**
 * The fields a write would set, compact: `field → value` (values cut), or a
 * one-line description for a body that is not an object (an upload, a list).
 */
export function summarizeWrite(body: unknown): Record<string, string> | string {
  if (body === undefined || body === null || body === '') return {};
  if (typeof body === 'string') return cut(body);
  if (Array.isArray(body)) return `${body.length} items`;
  if (typeof body !== 'object') return cut(String(body));
  const out: Record<string, string> = {};
  const entries = Object.entries(body as Record<string, unknown>);
  for (const [key, value] of entries.slice(0, MAX_FIELDS)) {
    out[key] = cut(typeof value === 'string' ? value : (JSON.stringify(value) ?? 'undefined'));
  }
  if (entries.length > MAX_FIELDS) out['…'] = `${entries.length - MAX_FIELDS} more fields`;
  return out;
}

/** Joins a base URL's path and a request URL the way axios does, without the query. */
export function upstreamPath(baseURL: string | undefined, url: string | undefined): string {
  const target = (url ?? '').split('?')[0];
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(target)) return new URL(target).pathname;
  const basePath = baseURL ? new URL(baseURL).pathname.replace(/\/+$/, '') : '';
  return `${basePath}/${target.replace(/^\/+/, '')}`;
}

function lastSegment(path: string): string {
  const parts = path.split('/').filter(Boolean);
  return decodeURIComponent(parts[parts.length - 1] ?? '');
}

function echo(body: unknown, id: string): unknown {
  if (body && typeof body === 'object' && !Array.isArray(body)) return { id, ...body };
  return { id };
}

function hasId(body: unknown): boolean {
  return typeof (body as { id?: unknown } | undefined)?.id === 'string';
}

function cut(s: string): string {
  return s.length > MAX_VALUE ? `${s.slice(0, MAX_VALUE)}…` : s;
}
