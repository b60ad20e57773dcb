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
import { BeteiligteCreateService } from './beteiligte-create.service.js';
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
  create: BeteiligteCreateService,
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
    const unsynced = () =>
      syncedEspo({
        betnr: null,
        advowareRowId: null,
        advowareLastSync: null,
        kommunikationHash: null,
        syncStatus: 'pending_sync',
      });

    it('hands a record without betnr to the create service and stores the party it returns', async () => {
      const espo = unsynced();
      given(espo, 'gone');
      mocks.create.createOrAdopt.mockResolvedValue(
        advowareParty({ betNr: 2001, rowId: 'new-row' }),
      );

      await sut.sync('espo-1');

      expect(mocks.create.createOrAdopt).toHaveBeenCalledWith(espo);
      expect(mocks.advoware.updateBeteiligte).not.toHaveBeenCalled();
      expect(lastEspoWrite()).toMatchObject({
        betnr: 2001,
        advowareRowId: 'new-row',
        syncStatus: 'clean',
      });
    });

    it('fails the run without an EspoCRM write when the create fails', async () => {
      given(unsynced(), 'gone');
      const refused = upstreamErrorForStatus('advoware', 400, { reason: 'name required' });
      mocks.create.createOrAdopt.mockRejectedValue(refused);

      await expect(sut.sync('espo-1')).rejects.toBe(refused);
      expect(mocks.kommunikation.sync).not.toHaveBeenCalled();
      expect(mocks.espocrm.update).not.toHaveBeenCalled();
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
