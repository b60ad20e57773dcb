import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Constant-time comparison of a presented key against any of the allowed ones.
 * Both sides are hashed first so the lengths match and the time does not tell
 * how long the real key is.
 */
export function matchesAnyKey(presented: unknown, allowed: readonly string[]): boolean {
  if (typeof presented !== 'string' || presented.length === 0) return false;
  const p = sha256(presented);
  let ok = false;
  for (const key of allowed) {
    if (timingSafeEqual(p, sha256(key))) ok = true;
  }
  return ok;
}

/** A short, stable, non-secret id of a key for logs. */
export function keyId(key: string): string {
  return sha256(key).toString('hex').slice(0, 8);
}

function sha256(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}
