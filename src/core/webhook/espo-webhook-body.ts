/**
 * Pure checks of an EspoCRM webhook body (CONTRACTS.md: always a JSON array of
 * records, each with an `id`). Anything else can never succeed, so it gets a 400
 * with the reason and nothing is enqueued.
 */
export type ParsedWebhook =
  { ok: true; ids: string[]; total: number } | { ok: false; reason: string };

const ESPO_ID = /^[A-Za-z0-9_-]{1,64}$/;
/**
 * EspoCRM sends at most 50 records per batch (CONTRACTS.md); twice that leaves
 * room and bounds what one request can make the hub do (issue 16). A 400 drops the
 * batch for good at EspoCRM, which is right for a body EspoCRM never sends.
 */
export const MAX_WEBHOOK_ITEMS = 100;

export function parseEspoWebhookBody(body: unknown): ParsedWebhook {
  if (!Array.isArray(body)) return { ok: false, reason: 'body must be a JSON array of records' };
  if (body.length > MAX_WEBHOOK_ITEMS) {
    return {
      ok: false,
      reason: `batch has ${body.length} records; at most ${MAX_WEBHOOK_ITEMS} are accepted`,
    };
  }
  const ids: string[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < body.length; i++) {
    const item: unknown = body[i];
    if (item === null || typeof item !== 'object' || Array.isArray(item)) {
      return { ok: false, reason: `record ${i} must be an object` };
    }
    const id = (item as { id?: unknown }).id;
    if (typeof id !== 'string' || !ESPO_ID.test(id)) {
      return {
        ok: false,
        reason: `record ${i} has no valid "id" (a string of letters, digits, _ or -)`,
      };
    }
    if (!seen.has(id)) {
      seen.add(id);
      ids.push(id);
    }
  }
  return { ok: true, ids, total: body.length };
}
