/**
 * A document's status as the hub reads it. The old hub wrote `Neu`/`Geändert`
 * (capitalised), some records carry `GEAENDERT` or `geaendert` (no umlaut), and
 * EspoCRM enum values are case-sensitive strings, so a plain comparison with
 * `neu`/`geändert` missed every document the old hub had marked (issue 15).
 * Observed values: `neu`, `geändert`, `synced`, `failed` (DOMAIN.md) and the old
 * hub's capitalised `Neu`/`Geändert`; the other spellings are assumed.
 */
export type DocumentStatusKind = 'new' | 'changed' | 'synced' | 'failed' | 'other';

const KINDS: Record<string, DocumentStatusKind> = {
  neu: 'new',
  new: 'new',
  geaendert: 'changed',
  changed: 'changed',
  synced: 'synced',
  failed: 'failed',
};

/** null for an empty status; `other` for a value the hub does not know. */
export function documentStatusKind(value: unknown): DocumentStatusKind | null {
  if (typeof value !== 'string') return null;
  const key = value
    .normalize('NFC')
    .trim()
    .toLowerCase()
    .replace(/ä/g, 'ae')
    .replace(/[\s_-]+/g, '');
  if (key === '') return null;
  return KINDS[key] ?? 'other';
}

/** `neu` or `geändert` in any spelling: the file may differ from what xAI holds. */
export function isChangedStatus(value: unknown): boolean {
  const kind = documentStatusKind(value);
  return kind === 'new' || kind === 'changed';
}
