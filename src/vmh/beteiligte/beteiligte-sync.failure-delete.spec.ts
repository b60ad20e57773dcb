import { beforeEach, describe, expect, it } from '@jest/globals';
import { newTestService, type Mocks } from '../../../test/support/new-test-service.js';
import {
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
import { BeteiligteSyncService } from './beteiligte-sync.service.js';
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

/** The sync's failure bookkeeping and EspoCRM delete webhooks; the decision actions are in beteiligte-sync.service.spec.ts. */
describe('BeteiligteSyncService: failures and deletes', () => {
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

  const lastEspoWrite = () =>
    mocks.espocrm.update.mock.calls.at(-1)?.[2] as Record<string, unknown>;

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
      mocks.espocrm.get.mockResolvedValue(
        syncedEspo({
          syncStatus: 'failed',
          syncNextRetry: null,
          syncErrorMessage: 'validation: x',
        }),
      );
      mocks.advoware.getBeteiligte.mockResolvedValue(advowareParty());

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
});
