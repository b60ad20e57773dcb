/**
 * Which EspoCRM webhook may call which route of the hub.
 *
 * EspoCRM has one webhook per event (`CDokumente.update`, `CDokumente.delete`, …),
 * each with its own id and secret. Binding each id to the route it was created
 * for means a signed body captured on one route cannot be replayed on another
 * (issue 16: an update captured on `/document/update` replayed on
 * `/document/delete` would remove a live document).
 *
 * `ESPOCRM_WEBHOOK_SECRETS` entries, comma-separated:
 *   `webhookId:secret@route`            bound to one route (EspoCRM's case)
 *   `webhookId:secret@route1+route2`    bound to several routes
 *   `webhookId:secret`                  unbound: any webhook route; refused in production
 * A route is named by the path after `/vmh/webhook/`, `/` → `.`
 * (`/vmh/webhook/document/delete` → `document.delete`).
 */
export const ESPO_WEBHOOK_ROUTES = [
  'beteiligte.create',
  'beteiligte.update',
  'beteiligte.delete',
  'bankverbindungen.create',
  'bankverbindungen.update',
  'bankverbindungen.delete',
  'document.create',
  'document.update',
  'document.delete',
  'entity.link',
  'entity.unlink',
] as const;

export interface WebhookBinding {
  webhookId: string;
  secret: string;
  /** Undefined: unbound (any route), accepted only outside production. */
  routes?: ReadonlySet<string>;
}

export type ParsedBindings =
  { ok: true; bindings: WebhookBinding[] } | { ok: false; problems: string[] };

const ID = /^[^:,\s@+]+$/;
const SECRET = /^[^,\s@]+$/;

/** Parses and checks `ESPOCRM_WEBHOOK_SECRETS`, naming every bad entry. */
export function parseWebhookBindings(
  value: string | undefined,
  opts: { production: boolean; knownRoutes?: readonly string[] } = { production: false },
): ParsedBindings {
  const known = new Set<string>(opts.knownRoutes ?? ESPO_WEBHOOK_ROUTES);
  const bindings: WebhookBinding[] = [];
  const problems: string[] = [];
  const seen = new Set<string>();
  const entries = (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  for (const [i, entry] of entries.entries()) {
    const where = `entry ${i + 1}`;
    const colon = entry.indexOf(':');
    if (colon <= 0) {
      problems.push(`${where} must be webhookId:secret@route (no ":" after the webhook id)`);
      continue;
    }
    const webhookId = entry.slice(0, colon);
    const rest = entry.slice(colon + 1);
    const at = rest.indexOf('@');
    const secret = at < 0 ? rest : rest.slice(0, at);
    const routeList = at < 0 ? undefined : rest.slice(at + 1);
    if (!ID.test(webhookId)) {
      problems.push(`${where}: webhook id "${webhookId}" may not contain ":", "@", "+" or spaces`);
      continue;
    }
    if (!SECRET.test(secret)) {
      problems.push(`${where} (${webhookId}): the secret is empty or contains "@"`);
      continue;
    }
    if (seen.has(webhookId)) {
      problems.push(`${where}: webhook id ${webhookId} is configured twice`);
      continue;
    }
    seen.add(webhookId);
    if (routeList === undefined) {
      if (opts.production) {
        problems.push(
          `${where} (${webhookId}) is bound to no route; in production write ${webhookId}:<secret>@<route>, route one of ${[...known].join(', ')}`,
        );
        continue;
      }
      bindings.push({ webhookId, secret });
      continue;
    }
    const routes = routeList.split('+').map((r) => r.trim());
    const unknown = routes.filter((r) => !known.has(r));
    if (routes.length === 0 || unknown.length > 0) {
      problems.push(
        `${where} (${webhookId}): unknown route ${unknown.map((r) => `"${r}"`).join(', ') || '""'}; known: ${[...known].join(', ')}`,
      );
      continue;
    }
    bindings.push({ webhookId, secret, routes: new Set(routes) });
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, bindings };
}

/**
 * The route name of a request path: what follows `/webhook/`, `/` → `.`
 * (`/vmh/webhook/document/delete` → `document.delete`); other paths whole.
 */
export function webhookRouteName(path: string): string {
  const clean = path.split('?')[0].replace(/^\/+|\/+$/g, '');
  const at = clean.indexOf('webhook/');
  const tail = at >= 0 ? clean.slice(at + 'webhook/'.length) : clean;
  return tail.replace(/\/+/g, '.');
}
