import type { NextFunction, Request, Response } from 'express';
import { matchesAnyKey } from './api-key.js';

/** The user name of HTTP Basic on every ops page; the password is `OPS_API_KEY`. */
export const OPS_BASIC_USER = 'ops';
export const OPS_BASIC_REALM = 'bitbylaw-hub ops';
/** Sent with a 401 where a person's browser should ask for the ops credentials. */
export const OPS_BASIC_CHALLENGE = `Basic realm="${OPS_BASIC_REALM}", charset="UTF-8"`;

export interface BasicCredentials {
  user: string;
  password: string;
}

/** `Authorization: Basic base64(user:password)` → the pair; anything else → undefined. */
export function parseBasicAuthorization(header: unknown): BasicCredentials | undefined {
  if (typeof header !== 'string') return undefined;
  const m = /^\s*basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(header);
  if (!m) return undefined;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/**
 * The one check behind every ops route: the `X-Api-Key` header (scripts) or HTTP
 * Basic with user `ops` and the ops key as password (browsers). Both compare in
 * constant time; a key in the query string is never looked at, since URLs end up
 * in browser history and proxy logs.
 */
export function hasOpsCredentials(
  headers: Record<string, string | string[] | undefined>,
  opsApiKey: string,
): boolean {
  if (matchesAnyKey(headers['x-api-key'], [opsApiKey])) return true;
  const basic = parseBasicAuthorization(headers.authorization);
  if (!basic) return false;
  // Both halves are compared (no short-circuit) so the time says nothing about which failed.
  const userOk = matchesAnyKey(basic.user, [OPS_BASIC_USER]);
  const passwordOk = matchesAnyKey(basic.password, [opsApiKey]);
  return userOk && passwordOk;
}

/**
 * Express middleware for pages a person opens (bull-board, its API and assets):
 * without credentials the answer is 401 with a Basic challenge, so the browser
 * asks once and then sends them with every request under the same path.
 */
export function opsBasicAuth(opsApiKey: string) {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (hasOpsCredentials(req.headers, opsApiKey)) return next();
    res
      .status(401)
      .setHeader('WWW-Authenticate', OPS_BASIC_CHALLENGE)
      .json({ statusCode: 401, message: 'ops credentials missing or wrong (Basic or X-Api-Key)' });
  };
}
