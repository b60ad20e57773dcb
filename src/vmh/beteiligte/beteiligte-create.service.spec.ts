import { beforeEach, describe, expect, it } from '@jest/globals';
import { newTestService, type Mocks } from '../../../test/support/new-test-service.js';
import {
  TransientUpstreamError,
  upstreamErrorForStatus,
} from '../../core/errors/upstream.errors.js';
import { AdvowareClient } from '../../integrations/advoware/advoware.client.js';
import type { AdvowareBeteiligte } from '../../integrations/advoware/advoware.types.js';
import { EspoCrmClient } from '../../integrations/espocrm/espocrm.client.js';
import type { CBeteiligte } from '../../integrations/espocrm/espocrm.types.js';
import { BeteiligteCreateService } from './beteiligte-create.service.js';
import { toAdvoware } from './beteiligte.mapper.js';
import { BeteiligteCreateJournal } from './create-journal.js';

const DEPS = {
  espocrm: EspoCrmClient,
  advoware: AdvowareClient,
  journal: BeteiligteCreateJournal,
};

const MINUTE = 60_000;
/** Advoware's clock is Berlin wall-clock without an offset; an explicit Z keeps the spec zone-free. */
const advAgo = (ms: number) => new Date(Date.now() - ms).toISOString();

/** A party EspoCRM has not synced yet (no betnr). */
function unsynced(over: Partial<CBeteiligte> = {}): CBeteiligte {
  return {
    id: 'espo-1',
    name: 'Anna Muster',
    firstName: 'Anna',
    lastName: 'Muster',
    rechtsform: 'Natürliche Person',
    anrede: 'Frau',
    betnr: null,
    advowareRowId: null,
    advowareLastSync: null,
    kommunikationHash: null,
    syncStatus: 'pending_sync',
    assignedUserId: 'user-7',
    ...over,
  };
}

function advowareParty(over: Partial<AdvowareBeteiligte> = {}): AdvowareBeteiligte {
  return {
    betNr: 1001,
    rowId: 'row-1',
    geaendertAm: advAgo(20 * MINUTE),
    name: 'Muster',
    vorname: 'Anna',
    rechtsform: 'Natürliche Person',
    anrede: 'Frau',
    ...over,
  };
}

describe('BeteiligteCreateService', () => {
  let sut: BeteiligteCreateService;
  let mocks: Mocks<typeof DEPS>;

  beforeEach(async () => {
    ({ sut, mocks } = await newTestService(BeteiligteCreateService, DEPS));
    mocks.journal.get.mockResolvedValue(undefined);
    mocks.advoware.findBeteiligteByEspoId.mockResolvedValue(undefined);
  });

  it('journals before the POST, then stores the new betnr and rowId', async () => {
    const espo = unsynced();
    mocks.advoware.createBeteiligte.mockResolvedValue(
      advowareParty({ betNr: 2001, rowId: 'new-row' }),
    );

    const party = await sut.createOrAdopt(espo);

    expect(mocks.journal.beforeCreate).toHaveBeenCalledWith('espo-1', 'Muster', 'Anna');
    expect(mocks.journal.beforeCreate.mock.invocationCallOrder[0]).toBeLessThan(
      mocks.advoware.createBeteiligte.mock.invocationCallOrder[0],
    );
    expect(mocks.journal.created).toHaveBeenCalledWith('espo-1', 2001);
    expect(party).toMatchObject({
      betNr: 2001,
      rowId: 'new-row',
    });
  });

  it('adopts the party an earlier attempt made (found by externeId) instead of creating another', async () => {
    const espo = unsynced();
    mocks.advoware.findBeteiligteByEspoId.mockResolvedValue(
      advowareParty({ betNr: 2001, rowId: 'earlier', externeId: 'espo-1' }),
    );

    const party = await sut.createOrAdopt(espo);

    expect(mocks.advoware.createBeteiligte).not.toHaveBeenCalled();
    // Same master data: no PUT either.
    expect(mocks.advoware.updateBeteiligte).not.toHaveBeenCalled();
    expect(mocks.journal.created).toHaveBeenCalledWith('espo-1', 2001);
    expect(party).toMatchObject({ betNr: 2001, rowId: 'earlier' });
  });

  it('PUTs EspoCRM data onto an adopted party whose master data differs', async () => {
    const espo = unsynced({ lastName: 'Neumann' });
    mocks.advoware.findBeteiligteByEspoId.mockResolvedValue(advowareParty({ betNr: 2001 }));
    mocks.advoware.updateBeteiligte.mockResolvedValue(
      advowareParty({ betNr: 2001, name: 'Neumann', rowId: 'put-row' }),
    );

    const party = await sut.createOrAdopt(espo);

    expect(mocks.advoware.updateBeteiligte).toHaveBeenCalledWith(2001, toAdvoware(espo));
    expect(mocks.advoware.createBeteiligte).not.toHaveBeenCalled();
    expect(party).toMatchObject({ betNr: 2001, rowId: 'put-row' });
  });

  it('adopts through the create journal when Advoware does not keep externeId', async () => {
    const espo = unsynced();
    mocks.advoware.getBeteiligte.mockResolvedValue(
      advowareParty({ betNr: 2002, rowId: 'journal-row' }),
    );
    mocks.journal.get.mockResolvedValue({
      startedAt: Date.now() - MINUTE,
      names: ['Muster'],
      vorname: 'Anna',
      betNr: 2002,
    });

    const party = await sut.createOrAdopt(espo);

    expect(mocks.advoware.getBeteiligte).toHaveBeenCalledWith(2002);
    expect(mocks.advoware.createBeteiligte).not.toHaveBeenCalled();
    expect(party).toMatchObject({ betNr: 2002, rowId: 'journal-row' });
  });

  it('adopts the newest namesake made after the journal entry that no other record holds', async () => {
    const espo = unsynced();
    mocks.journal.get.mockResolvedValue({
      startedAt: Date.now() - MINUTE,
      names: ['Muster'],
      vorname: 'Anna',
    });
    mocks.advoware.findBeteiligteByName.mockResolvedValue([
      advowareParty({ betNr: 500, geaendertAm: advAgo(365 * 24 * 60 * MINUTE) }),
      advowareParty({ betNr: 2003, rowId: 'namesake', geaendertAm: advAgo(30_000) }),
    ]);
    mocks.espocrm.list.mockResolvedValue({ total: 0, list: [] });

    const party = await sut.createOrAdopt(espo);

    expect(mocks.advoware.createBeteiligte).not.toHaveBeenCalled();
    expect(party).toMatchObject({ betNr: 2003 });
  });

  it('does not adopt a namesake another EspoCRM record holds: creates a new party', async () => {
    const espo = unsynced();
    mocks.journal.get.mockResolvedValue({
      startedAt: Date.now() - MINUTE,
      names: ['Muster'],
      vorname: 'Anna',
    });
    mocks.advoware.findBeteiligteByName.mockResolvedValue([
      advowareParty({ betNr: 2003, geaendertAm: advAgo(30_000) }),
    ]);
    mocks.espocrm.list.mockResolvedValue({ total: 1, list: [{ id: 'espo-other' }] });
    mocks.advoware.createBeteiligte.mockResolvedValue(advowareParty({ betNr: 2004 }));

    const party = await sut.createOrAdopt(espo);

    expect(mocks.advoware.createBeteiligte).toHaveBeenCalledTimes(1);
    expect(party).toMatchObject({ betNr: 2004 });
  });

  it('forgets the journal entry when Advoware refuses the POST (nothing was made), and fails the run', async () => {
    const espo = unsynced();
    const refused = upstreamErrorForStatus('advoware', 400, { reason: 'name required' });
    mocks.advoware.createBeteiligte.mockRejectedValue(refused);

    await expect(sut.createOrAdopt(espo)).rejects.toBe(refused);
    expect(mocks.journal.forget).toHaveBeenCalledWith('espo-1');
    expect(mocks.espocrm.update).not.toHaveBeenCalled();
  });

  it('keeps the journal entry when the POST answer is lost (the party may exist)', async () => {
    const espo = unsynced();
    mocks.advoware.createBeteiligte.mockRejectedValue(
      new TransientUpstreamError('advoware', 'timeout'),
    );

    await expect(sut.createOrAdopt(espo)).rejects.toBeInstanceOf(TransientUpstreamError);
    expect(mocks.journal.forget).not.toHaveBeenCalled();
  });
});
