import type { AdvowareBeteiligte } from '../../integrations/advoware/advoware.types.js';
import type { CBeteiligte } from '../../integrations/espocrm/espocrm.types.js';
import { decideBeteiligteSync, type BeteiligteAction } from './beteiligte.decision.js';

const SYNC = '2025-03-01 10:00:00';
const BEFORE = '2025-03-01 09:00:00';
const AFTER = '2025-03-01 11:00:00';

function espo(over: Partial<CBeteiligte> = {}): CBeteiligte {
  return {
    id: 'e1',
    firstName: 'Max',
    lastName: 'Muster',
    rechtsform: 'Natürliche Person',
    betnr: 10001,
    advowareRowId: 'row-1',
    advowareLastSync: SYNC,
    modifiedAt: BEFORE,
    syncStatus: 'clean',
    ...over,
  };
}

function adv(over: Partial<AdvowareBeteiligte> = {}): AdvowareBeteiligte {
  return {
    betNr: 10001,
    rowId: 'row-1',
    geaendertAm: '2025-03-01T09:00:00Z',
    name: 'Muster',
    vorname: 'Max',
    rechtsform: 'Natürliche Person',
    ...over,
  };
}

const cases: Array<[string, CBeteiligte, AdvowareBeteiligte | null, BeteiligteAction]> = [
  ['creates when there is no betnr', espo({ betnr: null }), null, 'create'],
  [
    'is deleted_in_advoware when Advoware answers 404 for a known betnr',
    espo(),
    null,
    'deleted_in_advoware',
  ],
  [
    'is no_change when rowId is unchanged and EspoCRM is older than the last sync',
    espo(),
    adv(),
    'no_change',
  ],
  [
    'is espocrm_newer when only EspoCRM changed',
    espo({ modifiedAt: AFTER, lastName: 'Neu' }),
    adv(),
    'espocrm_newer',
  ],
  [
    'is espocrm_newer when EspoCRM marked itself dirty',
    espo({ syncStatus: 'dirty', lastName: 'Neu' }),
    adv(),
    'espocrm_newer',
  ],
  [
    'is advoware_newer when only the Advoware rowId changed',
    espo(),
    adv({ rowId: 'row-2', name: 'Anders' }),
    'advoware_newer',
  ],
  [
    'is advoware_newer by geaendertAm when no rowId was stored',
    espo({ advowareRowId: null }),
    adv({ geaendertAm: '2025-03-01T11:00:00Z', name: 'Anders' }),
    'advoware_newer',
  ],
  [
    'is conflict when both changed',
    espo({ modifiedAt: AFTER, lastName: 'Espo' }),
    adv({ rowId: 'row-2', name: 'Advo' }),
    'conflict',
  ],
  [
    'suppresses the echo of its own write: EspoCRM newer but data equal',
    espo({ modifiedAt: AFTER }),
    adv(),
    'no_change',
  ],
  [
    'is no_change when both changed to the same data',
    espo({ modifiedAt: AFTER }),
    adv({ rowId: 'row-2' }),
    'no_change',
  ],
  // First sync of an existing pair (no advowareLastSync).
  [
    'first sync: the newer EspoCRM timestamp wins',
    espo({ advowareLastSync: null, modifiedAt: AFTER, lastName: 'Espo' }),
    adv({ geaendertAm: '2025-03-01T10:00:00Z' }),
    'espocrm_newer',
  ],
  [
    'first sync: the newer Advoware timestamp wins (never overwrite newer Advoware data)',
    espo({ advowareLastSync: null, modifiedAt: BEFORE, lastName: 'Espo' }),
    adv({ geaendertAm: '2025-03-01T10:00:00Z' }),
    'advoware_newer',
  ],
  [
    'first sync: equal timestamps are no_change',
    espo({ advowareLastSync: null, modifiedAt: BEFORE, lastName: 'Espo' }),
    adv({ geaendertAm: '2025-03-01T09:00:00Z' }),
    'no_change',
  ],
  [
    'first sync: only Advoware has a timestamp → Advoware',
    espo({ advowareLastSync: null, modifiedAt: undefined, lastName: 'Espo' }),
    adv(),
    'advoware_newer',
  ],
  [
    'first sync: only EspoCRM has a timestamp → EspoCRM',
    espo({ advowareLastSync: null, modifiedAt: AFTER, lastName: 'Espo' }),
    adv({ geaendertAm: undefined }),
    'espocrm_newer',
  ],
  [
    'first sync: neither has a timestamp → EspoCRM (observed fix)',
    espo({ advowareLastSync: null, modifiedAt: undefined, lastName: 'Espo' }),
    adv({ geaendertAm: undefined }),
    'espocrm_newer',
  ],
  [
    'first sync: equal data is no_change whatever the timestamps',
    espo({ advowareLastSync: null, modifiedAt: AFTER }),
    adv(),
    'no_change',
  ],
  // Zone-less Advoware times are Berlin wall-clock (10:30 in March = 09:30Z), not UTC.
  [
    'first sync: a zone-less Advoware time is Berlin time (10:30 Berlin is before 10:00Z EspoCRM)',
    espo({ advowareLastSync: null, modifiedAt: SYNC, lastName: 'Espo' }),
    adv({ geaendertAm: '2025-03-01T10:30:00' }),
    'espocrm_newer',
  ],
  [
    'first sync: a zone-less Advoware time after EspoCRM in Berlin terms wins',
    espo({ advowareLastSync: null, modifiedAt: SYNC, lastName: 'Espo' }),
    adv({ geaendertAm: '2025-03-01T11:30:00' }),
    'advoware_newer',
  ],
  [
    'without a stored rowId: a zone-less geaendertAm before the last sync (Berlin) is no change',
    espo({ advowareRowId: null }),
    adv({ geaendertAm: '2025-03-01T10:59:00', name: 'Anders' }),
    'no_change',
  ],
  [
    'without a stored rowId: a zone-less geaendertAm after the last sync (Berlin) is a change',
    espo({ advowareRowId: null }),
    adv({ geaendertAm: '2025-03-01T11:01:00', name: 'Anders' }),
    'advoware_newer',
  ],
];

describe('decideBeteiligteSync', () => {
  it.each(cases)('%s', (_name, e, a, expected) => {
    expect(decideBeteiligteSync({ espo: e, advoware: a }).action).toBe(expected);
  });
});
