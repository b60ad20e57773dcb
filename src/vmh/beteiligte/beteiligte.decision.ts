import { parseAdvowareTime } from '../../integrations/advoware/advoware-time.js';
import type { AdvowareBeteiligte } from '../../integrations/advoware/advoware.types.js';
import { parseEspoDateTime } from '../../integrations/espocrm/espocrm-datetime.js';
import type { CBeteiligte } from '../../integrations/espocrm/espocrm.types.js';
import { masterDataDiff } from './beteiligte.mapper.js';

export type BeteiligteAction =
  'create' | 'no_change' | 'espocrm_newer' | 'advoware_newer' | 'conflict' | 'deleted_in_advoware';

export interface BeteiligteDecision {
  action: BeteiligteAction;
  /** Why, for the log line. */
  reason: string;
}

export interface BeteiligteDecisionInput {
  espo: CBeteiligte;
  /** The Advoware party for `espo.betnr`; `null` when Advoware answered 404. Unused without betnr. */
  advoware: AdvowareBeteiligte | null;
}

/** Statuses EspoCRM sets itself when a user edits the record. */
const USER_CHANGE_STATUSES = new Set(['dirty', 'pending_sync']);

/** An EspoCRM datetime (UTC without zone); unreadable = unknown. */
function espoInstant(value: string | null | undefined): number | undefined {
  if (!value) return undefined;
  try {
    return parseEspoDateTime(value).getTime();
  } catch {
    return undefined;
  }
}

/**
 * DOMAIN.md's decision table, pure. Echo suppression is by comparison: a record the
 * hub itself just wrote has the same master data on both sides and the stored
 * `advowareRowId`, so a "change" on one side that leaves the data equal is `no_change`
 * — never a flag. `rowId` is the Advoware change detector; `geaendertAm` only when no
 * rowId was stored yet.
 */
export function decideBeteiligteSync({
  espo,
  advoware,
}: BeteiligteDecisionInput): BeteiligteDecision {
  if (espo.betnr === null || espo.betnr === undefined)
    return { action: 'create', reason: 'no betnr' };
  if (advoware === null)
    return { action: 'deleted_in_advoware', reason: `Advoware has no Beteiligte ${espo.betnr}` };

  const differing = masterDataDiff(espo, advoware);
  const espoTime = espoInstant(espo.modifiedAt);
  // Advoware's clock: without an offset it is Berlin wall-clock, not UTC and not the host's zone.
  const advTime = parseAdvowareTime(advoware.geaendertAm);
  const lastSync = espoInstant(espo.advowareLastSync);

  if (lastSync === undefined) {
    // First sync of an existing pair (observed fix: the initial sync once overwrote newer Advoware data).
    if (differing.length === 0) return { action: 'no_change', reason: 'first sync, data equal' };
    if (espoTime !== undefined && advTime !== undefined) {
      if (espoTime > advTime)
        return { action: 'espocrm_newer', reason: 'first sync, EspoCRM newer' };
      if (advTime > espoTime)
        return { action: 'advoware_newer', reason: 'first sync, Advoware newer' };
      return { action: 'no_change', reason: 'first sync, equal timestamps' };
    }
    if (advTime !== undefined)
      return { action: 'advoware_newer', reason: 'first sync, only Advoware has a timestamp' };
    return { action: 'espocrm_newer', reason: 'first sync, EspoCRM is master' };
  }

  const espoChanged =
    (espoTime !== undefined && espoTime > lastSync) ||
    USER_CHANGE_STATUSES.has(espo.syncStatus ?? '');
  const advChanged = espo.advowareRowId
    ? advoware.rowId !== espo.advowareRowId
    : advTime !== undefined && advTime > lastSync;

  if (!espoChanged && !advChanged) return { action: 'no_change', reason: 'neither side changed' };
  if (differing.length === 0)
    return { action: 'no_change', reason: 'master data equal on both sides' };
  if (espoChanged && advChanged)
    return { action: 'conflict', reason: `both changed (${differing.join(', ')})` };
  if (espoChanged)
    return { action: 'espocrm_newer', reason: `EspoCRM changed (${differing.join(', ')})` };
  return { action: 'advoware_newer', reason: `Advoware changed (${differing.join(', ')})` };
}
