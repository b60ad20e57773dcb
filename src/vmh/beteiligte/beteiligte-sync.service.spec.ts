import { beforeEach, describe, expect, it } from '@jest/globals';
import { newTestService, type Mocks } from '../../../test/support/new-test-service.js';
import {
  PermanentUpstreamError,
  TransientUpstreamError,
  UpstreamNotFoundError,
  upstreamErrorForStatus,
} from '../../core/errors/upstream.errors.js';
import { AdvowareClient } from '../../integrations/advoware/advoware.client.js';
import type { AdvowareBeteiligte } from '../../integrations/advoware/advoware.types.js';
import { EspoCrmClient } from '../../integrations/espocrm/espocrm.client.js';
import { espoDateTime } from '../../integrations/espocrm/espocrm-datetime.js';
import type { CBeteiligte } from '../../integrations/espocrm/espocrm.types.js';
import { AdressenSyncService } from './adressen-sync.service.js';
import { BeteiligteSyncService, ENTITY } from './beteiligte-sync.service.js';
import { toAdvoware } from './beteiligte.mapper.js';
import { BeteiligteCreateJournal } from './create-journal.js';
import { KommunikationSyncService } from './kommunikation-sync.service.js';

const DEPS = {
  espocrm: EspoCrmClient,
  advoware: AdvowareClient,
  kommunikation: KommunikationSyncService,
  adressen: AdressenSyncService,
  journal: BeteiligteCreateJournal,
};

const MINUTE = 60_000;
const ago = (ms: number) => espoDateTime(new Date(Date.now() - ms));
/** Advoware's clock is Berlin wall-clock without an offset; an explicit Z keeps the spec zone-free. */
const advAgo = (ms: number) => new Date(Date.now() - ms).toISOString();

/** A party synced ten minutes ago, unchanged on both sides since. */
function syncedEspo(over: Partial<CBeteiligte> = {}): CBeteiligte {
  return {
    id: 'espo-1',
    name: 'Anna Muster',
    firstName: 'Anna',
    lastName: 'Muster',
    rechtsform: 'Natürliche Person',
    anrede: 'Frau',
    betnr: 1001,
    advowareRowId: 'row-1',
    advowareLastSync: ago(10 * MINUTE),
    modifiedAt: ago(20 * MINUTE),
    syncStatus: 'clean',
    kommunikationHash: 'komm-hash',
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

describe('BeteiligteSyncService', () => {
  let sut: BeteiligteSyncService;
  let mocks: Mocks<typeof DEPS>;

  beforeEach(async () => {
    ({ sut, mocks } = await newTestService(BeteiligteSyncService, DEPS));
    mocks.kommunikation.sync.mockResolvedValue({
      espoFields: {},
      hash: 'komm-hash',
      advowareWrites: 0,
    });
    mocks.adressen.sync.mockResolvedValue({ advowareWrites: 0, tasks: 0 });
    mocks.espocrm.update.mockResolvedValue({ id: 'espo-1' });
    mocks.espocrm.createNotification.mockResolvedValue({ id: 'n-1' });
    mocks.espocrm.createTask.mockResolvedValue({ id: 'task-1', name: 'x' });
    mocks.espocrm.findOpenTask.mockResolvedValue(undefined);
    mocks.journal.get.mockResolvedValue(undefined);
    mocks.advoware.findBeteiligteByEspoId.mockResolvedValue(undefined);
  });

  function given(espo: CBeteiligte, party: AdvowareBeteiligte | 'gone'): void {
    mocks.espocrm.get.mockResolvedValue(espo);
    if (party === 'gone')
      mocks.advoware.getBeteiligte.mockRejectedValue(
        new UpstreamNotFoundError('advoware', 'advoware answered 404', { status: 404 }),
      );
    else mocks.advoware.getBeteiligte.mockResolvedValue(party);
  }

  const espoWrites = () => mocks.espocrm.update.mock.calls;
  const lastEspoWrite = () => espoWrites().at(-1)?.[2] as Record<string, unknown>;

  describe('no_change', () => {
    it('writes nothing anywhere when neither side changed and EspoCRM already holds everything', async () => {
      given(syncedEspo(), advowareParty());

      await sut.sync('espo-1');

      expect(mocks.advoware.updateBeteiligte).not.toHaveBeenCalled();
      expect(mocks.advoware.createBeteiligte).not.toHaveBeenCalled();
      expect(mocks.espocrm.update).not.toHaveBeenCalled();
      // Kommunikation and Adressen are still compared: they have their own change detectors.
      expect(mocks.kommunikation.sync).toHaveBeenCalledTimes(1);
      expect(mocks.adressen.sync).toHaveBeenCalledTimes(1);
    });

    it('refreshes a stale advowareLastSync so the cron does not pick the party every tick', async () => {
      given(syncedEspo({ advowareLastSync: ago(30 * 24 * 60 * MINUTE) }), advowareParty());

      await sut.sync('espo-1');

      expect(espoWrites()).toHaveLength(1);
      expect(Object.keys(lastEspoWrite())).toEqual(['advowareLastSync']);
    });

    it('keeps a conflict visible until the next real change', async () => {
      given(syncedEspo({ syncStatus: 'conflict' }), advowareParty());

      await sut.sync('espo-1');

      expect(mocks.espocrm.update).not.toHaveBeenCalled();
    });
  });

  describe('espocrm_newer', () => {
    it('PUTs EspoCRM master data to Advoware and stores the rowId of that write', async () => {
      // EspoCRM marks a user's edit `dirty`.
      const espo = syncedEspo({
        lastName: 'Neumann',
        modifiedAt: ago(MINUTE),
        syncStatus: 'dirty',
      });
      given(espo, advowareParty());
      mocks.advoware.updateBeteiligte.mockResolvedValue(
        advowareParty({ name: 'Neumann', rowId: 'row-2' }),
      );

      await sut.sync('espo-1');

      expect(mocks.advoware.updateBeteiligte).toHaveBeenCalledWith(1001, toAdvoware(espo));
      expect(lastEspoWrite()).toMatchObject({ advowareRowId: 'row-2', syncStatus: 'clean' });
      expect(mocks.espocrm.createNotification).not.toHaveBeenCalled();
    });

    it('reads the party again when the PUT answer carries no rowId', async () => {
      given(syncedEspo({ lastName: 'Neumann', modifiedAt: ago(MINUTE) }), advowareParty());
      mocks.advoware.updateBeteiligte.mockResolvedValue({ betNr: 1001 });
      mocks.advoware.getBeteiligte
        .mockResolvedValueOnce(advowareParty())
        .mockResolvedValueOnce(advowareParty({ name: 'Neumann', rowId: 'row-3' }));

      await sut.sync('espo-1');

      expect(mocks.advoware.getBeteiligte).toHaveBeenCalledTimes(2);
      expect(lastEspoWrite()).toMatchObject({ advowareRowId: 'row-3' });
    });
  });

  describe('advoware_newer', () => {
    it('takes Advoware master data into EspoCRM without writing Advoware', async () => {
      given(syncedEspo(), advowareParty({ name: 'Schmidt', rowId: 'row-9' }));

      await sut.sync('espo-1');

      expect(mocks.advoware.updateBeteiligte).not.toHaveBeenCalled();
      expect(espoWrites()).toHaveLength(1);
      // Only what differs is written: the status was clean already.
      expect(lastEspoWrite()).toEqual({
        lastName: 'Schmidt',
        advowareRowId: 'row-9',
        advowareLastSync: expect.any(String) as unknown,
      });
    });
  });

  describe('conflict', () => {
    const bothChanged = () => {
      const espo = syncedEspo({ lastName: 'Neumann', modifiedAt: ago(MINUTE) });
      given(espo, advowareParty({ name: 'Schmidt', rowId: 'row-9' }));
      mocks.advoware.updateBeteiligte.mockResolvedValue(
        advowareParty({ name: 'Neumann', rowId: 'row-10' }),
      );
      return espo;
    };

    it('lets EspoCRM win, marks the party conflict and notifies its assigned user', async () => {
      const espo = bothChanged();

      await sut.sync('espo-1');

      expect(mocks.advoware.updateBeteiligte).toHaveBeenCalledWith(1001, toAdvoware(espo));
      expect(lastEspoWrite()).toMatchObject({ syncStatus: 'conflict', advowareRowId: 'row-10' });
      expect(mocks.espocrm.createNotification).toHaveBeenCalledWith(
        expect.objectContaining({ userId: 'user-7', relatedType: ENTITY, relatedId: 'espo-1' }),
      );
      expect(mocks.espocrm.createTask).not.toHaveBeenCalled();
    });

    it('makes a Task when nobody is assigned, and not a second one while it is open', async () => {
      bothChanged();
      mocks.espocrm.get.mockResolvedValue(
        syncedEspo({ lastName: 'Neumann', modifiedAt: ago(MINUTE), assignedUserId: null }),
      );

      await sut.sync('espo-1');
      expect(mocks.espocrm.createTask).toHaveBeenCalledWith(
        expect.objectContaining({ parentType: ENTITY, parentId: 'espo-1' }),
      );

      mocks.espocrm.findOpenTask.mockResolvedValue({ id: 'task-1', name: 'open' });
      await sut.sync('espo-1');
      expect(mocks.espocrm.createTask).toHaveBeenCalledTimes(1);
      expect(mocks.espocrm.createNotification).not.toHaveBeenCalled();
    });
  });

  describe('deleted_in_advoware', () => {
    it('on an Advoware 404 marks the party, notifies a person, and creates nothing again', async () => {
      given(syncedEspo(), 'gone');

      await sut.sync('espo-1');

      expect(mocks.advoware.createBeteiligte).not.toHaveBeenCalled();
      expect(mocks.kommunikation.sync).not.toHaveBeenCalled();
      expect(mocks.adressen.sync).not.toHaveBeenCalled();
      expect(lastEspoWrite()).toMatchObject({
        syncStatus: 'deleted_in_advoware',
        syncErrorMessage: expect.stringContaining('1001') as unknown,
      });
      expect(mocks.espocrm.createNotification).toHaveBeenCalledTimes(1);
    });

    it('leaves a party already marked deleted_in_advoware alone until a person decides', async () => {
      given(syncedEspo({ syncStatus: 'deleted_in_advoware' }), 'gone');

      await sut.sync('espo-1');

      expect(mocks.advoware.getBeteiligte).not.toHaveBeenCalled();
      expect(mocks.espocrm.update).not.toHaveBeenCalled();
      expect(mocks.espocrm.createNotification).not.toHaveBeenCalled();
    });

    it('passes an Advoware error other than 404 on, so the job is retried', async () => {
      given(syncedEspo(), advowareParty());
      mocks.advoware.getBeteiligte.mockRejectedValue(
        new TransientUpstreamError('advoware', 'advoware answered 503', { status: 503 }),
      );

      await expect(sut.sync('espo-1')).rejects.toBeInstanceOf(TransientUpstreamError);
      expect(mocks.espocrm.update).not.toHaveBeenCalled();
    });
  });

  describe('create', () => {
    const unsynced = (over: Partial<CBeteiligte> = {}) =>
      syncedEspo({
        betnr: null,
        advowareRowId: null,
        advowareLastSync: null,
        kommunikationHash: null,
        syncStatus: 'pending_sync',
        ...over,
      });

    it('journals before the POST, then stores the new betnr and rowId', async () => {
      given(unsynced(), 'gone');
      mocks.advoware.createBeteiligte.mockResolvedValue(
        advowareParty({ betNr: 2001, rowId: 'new-row' }),
      );

      await sut.sync('espo-1');

      expect(mocks.journal.beforeCreate).toHaveBeenCalledWith('espo-1', 'Muster', 'Anna');
      expect(mocks.journal.beforeCreate.mock.invocationCallOrder[0]).toBeLessThan(
        mocks.advoware.createBeteiligte.mock.invocationCallOrder[0],
      );
      expect(mocks.journal.created).toHaveBeenCalledWith('espo-1', 2001);
      expect(lastEspoWrite()).toMatchObject({
        betnr: 2001,
        advowareRowId: 'new-row',
        syncStatus: 'clean',
      });
    });

    it('adopts the party an earlier attempt made (found by externeId) instead of creating another', async () => {
      given(unsynced(), 'gone');
      mocks.advoware.findBeteiligteByEspoId.mockResolvedValue(
        advowareParty({ betNr: 2001, rowId: 'earlier', externeId: 'espo-1' }),
      );

      await sut.sync('espo-1');

      expect(mocks.advoware.createBeteiligte).not.toHaveBeenCalled();
      // Same master data: no PUT either.
      expect(mocks.advoware.updateBeteiligte).not.toHaveBeenCalled();
      expect(mocks.journal.created).toHaveBeenCalledWith('espo-1', 2001);
      expect(lastEspoWrite()).toMatchObject({ betnr: 2001, advowareRowId: 'earlier' });
    });

    it('PUTs EspoCRM data onto an adopted party whose master data differs', async () => {
      const espo = unsynced({ lastName: 'Neumann' });
      given(espo, 'gone');
      mocks.advoware.findBeteiligteByEspoId.mockResolvedValue(advowareParty({ betNr: 2001 }));
      mocks.advoware.updateBeteiligte.mockResolvedValue(
        advowareParty({ betNr: 2001, name: 'Neumann', rowId: 'put-row' }),
      );

      await sut.sync('espo-1');

      expect(mocks.advoware.updateBeteiligte).toHaveBeenCalledWith(2001, toAdvoware(espo));
      expect(mocks.advoware.createBeteiligte).not.toHaveBeenCalled();
      expect(lastEspoWrite()).toMatchObject({ betnr: 2001, advowareRowId: 'put-row' });
    });

    it('adopts through the create journal when Advoware does not keep externeId', async () => {
      given(unsynced(), advowareParty({ betNr: 2002, rowId: 'journal-row' }));
      mocks.journal.get.mockResolvedValue({
        startedAt: Date.now() - MINUTE,
        names: ['Muster'],
        vorname: 'Anna',
        betNr: 2002,
      });

      await sut.sync('espo-1');

      expect(mocks.advoware.getBeteiligte).toHaveBeenCalledWith(2002);
      expect(mocks.advoware.createBeteiligte).not.toHaveBeenCalled();
      expect(lastEspoWrite()).toMatchObject({ betnr: 2002, advowareRowId: 'journal-row' });
    });

    it('adopts the newest namesake made after the journal entry that no other record holds', async () => {
      given(unsynced(), 'gone');
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

      await sut.sync('espo-1');

      expect(mocks.advoware.createBeteiligte).not.toHaveBeenCalled();
      expect(lastEspoWrite()).toMatchObject({ betnr: 2003 });
    });

    it('does not adopt a namesake another EspoCRM record holds: creates a new party', async () => {
      given(unsynced(), 'gone');
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

      await sut.sync('espo-1');

      expect(mocks.advoware.createBeteiligte).toHaveBeenCalledTimes(1);
      expect(lastEspoWrite()).toMatchObject({ betnr: 2004 });
    });

    it('forgets the journal entry when Advoware refuses the POST (nothing was made), and fails the run', async () => {
      given(unsynced(), 'gone');
      const refused = upstreamErrorForStatus('advoware', 400, { reason: 'name required' });
      mocks.advoware.createBeteiligte.mockRejectedValue(refused);

      await expect(sut.sync('espo-1')).rejects.toBe(refused);
      expect(mocks.journal.forget).toHaveBeenCalledWith('espo-1');
      expect(mocks.espocrm.update).not.toHaveBeenCalled();
    });

    it('keeps the journal entry when the POST answer is lost (the party may exist)', async () => {
      given(unsynced(), 'gone');
      mocks.advoware.createBeteiligte.mockRejectedValue(
        new TransientUpstreamError('advoware', 'timeout'),
      );

      await expect(sut.sync('espo-1')).rejects.toBeInstanceOf(TransientUpstreamError);
      expect(mocks.journal.forget).not.toHaveBeenCalled();
    });
  });

  describe('validation failure', () => {
    it('a refused run is failed at once: no retry time, the count kept, only a user change runs it again', async () => {
      mocks.espocrm.get.mockResolvedValue(syncedEspo({ syncRetryCount: 2 }));

      await sut.recordFailure(
        'espo-1',
        upstreamErrorForStatus('advoware', 422, { reason: 'geburtsdatum invalid' }),
      );

      expect(lastEspoWrite()).toMatchObject({
        syncStatus: 'failed',
        syncRetryCount: 2,
        syncNextRetry: null,
        syncErrorMessage: expect.stringMatching(/^validation: /) as unknown,
      });
    });

    it('a transient failure is scheduled for a retry and counted', async () => {
      mocks.espocrm.get.mockResolvedValue(syncedEspo({ syncRetryCount: 2 }));

      await sut.recordFailure('espo-1', new TransientUpstreamError('advoware', 'advoware 503'));

      expect(lastEspoWrite()).toMatchObject({ syncStatus: 'failed', syncRetryCount: 3 });
      expect(lastEspoWrite().syncNextRetry).toEqual(expect.any(String));
    });

    it('a party failed for validation is not synced again by the cron', async () => {
      given(
        syncedEspo({
          syncStatus: 'failed',
          syncNextRetry: null,
          syncErrorMessage: 'validation: x',
        }),
        advowareParty(),
      );

      await sut.sync('espo-1');
      expect(mocks.advoware.getBeteiligte).not.toHaveBeenCalled();

      await sut.sync('espo-1', true);
      expect(mocks.advoware.getBeteiligte).toHaveBeenCalledTimes(1);
    });
  });

  describe('delete webhook', () => {
    it('is dropped while EspoCRM still has the record', async () => {
      mocks.espocrm.get.mockResolvedValue(syncedEspo());

      await sut.run({ entityId: 'espo-1', action: 'delete', traceId: 't-1' });

      expect(mocks.espocrm.createNotification).not.toHaveBeenCalled();
      expect(mocks.espocrm.createTask).not.toHaveBeenCalled();
    });

    it('for a record EspoCRM confirms gone asks a person about the Advoware party from the journal', async () => {
      mocks.espocrm.get.mockRejectedValue(
        new UpstreamNotFoundError('espocrm', 'espocrm answered 404', { status: 404 }),
      );
      mocks.journal.get.mockResolvedValue({ startedAt: 0, names: ['Muster'], betNr: 3001 });

      await sut.handleDelete('espo-1');

      expect(mocks.advoware.findBeteiligteByEspoId).not.toHaveBeenCalled();
      expect(mocks.espocrm.createTask).toHaveBeenCalledWith(
        expect.objectContaining({ name: expect.stringContaining('3001') as unknown }),
      );
    });

    it('does nothing when no Advoware party belongs to the deleted record', async () => {
      mocks.espocrm.get.mockRejectedValue(
        new UpstreamNotFoundError('espocrm', 'espocrm answered 404', { status: 404 }),
      );

      await sut.handleDelete('espo-1');

      expect(mocks.espocrm.createTask).not.toHaveBeenCalled();
      expect(mocks.espocrm.createNotification).not.toHaveBeenCalled();
    });
  });

  it('skips a record no longer in EspoCRM', async () => {
    mocks.espocrm.get.mockRejectedValue(
      new UpstreamNotFoundError('espocrm', 'espocrm answered 404', { status: 404 }),
    );

    await sut.sync('espo-1');

    expect(mocks.advoware.getBeteiligte).not.toHaveBeenCalled();
    expect(mocks.espocrm.update).not.toHaveBeenCalled();
  });

  it('passes a permanent EspoCRM error on', async () => {
    mocks.espocrm.get.mockRejectedValue(new PermanentUpstreamError('espocrm', 'answered 400'));
    await expect(sut.sync('espo-1')).rejects.toBeInstanceOf(PermanentUpstreamError);
  });
});
