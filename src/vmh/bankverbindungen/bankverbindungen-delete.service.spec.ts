import { describe, expect, it } from '@jest/globals';
import { newTestService } from '../../../test/support/new-test-service.js';
import {
  UpstreamForbiddenError,
  UpstreamNotFoundError,
} from '../../core/errors/upstream.errors.js';
import { AdvowareClient } from '../../integrations/advoware/advoware.client.js';
import type { AdvowareBankverbindung } from '../../integrations/advoware/advoware.types.js';
import type { CBeteiligte } from '../../integrations/espocrm/espocrm.types.js';
import { BankverbindungLocationStore } from './bankverbindung-location.store.js';
import { BankverbindungenDeleteService } from './bankverbindungen-delete.service.js';
import { BankverbindungenRecords } from './bankverbindungen-records.service.js';
import { withMarker } from './bankverbindungen.mapper.js';

const DEPS = {
  advoware: AdvowareClient,
  records: BankverbindungenRecords,
  locations: BankverbindungLocationStore,
};

const LOCATION = { beteiligteId: 'bet-1', betnr: 1001, kontoId: 7, iban: 'DE89370400440532013000' };

async function setup() {
  const t = await newTestService(BankverbindungenDeleteService, DEPS);
  t.mocks.locations.get.mockResolvedValue(LOCATION);
  t.mocks.advoware.listBankverbindungen.mockResolvedValue([
    { id: 7, iban: LOCATION.iban, bemerkung: withMarker('bv-1', null) } as AdvowareBankverbindung,
  ]);
  t.mocks.records.find.mockResolvedValue({
    id: 'bet-1',
    assignedUserId: 'user-7',
  } as CBeteiligte);
  t.mocks.records.ensureTask.mockResolvedValue(true);
  return t;
}

describe('BankverbindungenDeleteService', () => {
  it('deletes the Advoware account found by its marker and forgets the locator', async () => {
    const { sut, mocks } = await setup();
    mocks.advoware.deleteBankverbindung.mockResolvedValue(undefined);

    await expect(sut.handleDeleted('bv-1', undefined)).resolves.toBe('deleted');
    expect(mocks.advoware.deleteBankverbindung).toHaveBeenCalledWith(1001, 7);
    expect(mocks.locations.forget).toHaveBeenCalledWith('bv-1');
    expect(mocks.records.ensureTask).not.toHaveBeenCalled();
  });

  it('Advoware 403 on delete: a Task on the party for a person, the locator kept for replays', async () => {
    const { sut, mocks } = await setup();
    mocks.advoware.deleteBankverbindung.mockRejectedValue(
      new UpstreamForbiddenError('advoware', 'forbidden', { reason: 'Löschen nicht erlaubt' }),
    );

    await expect(sut.handleDeleted('bv-1', undefined)).resolves.toBe('delete_refused');
    expect(mocks.records.ensureTask).toHaveBeenCalledWith(
      'CBeteiligte',
      'bet-1',
      expect.objectContaining({
        name: 'Advoware: Bankverbindung 7 von Beteiligtem 1001 löschen',
        description: expect.stringContaining('Löschen nicht erlaubt'),
      }),
      'user-7',
    );
    expect(mocks.locations.keepHandled).toHaveBeenCalledWith('bv-1');
    expect(mocks.locations.forget).not.toHaveBeenCalled();
  });

  it('a 403 from another system than Advoware is a failure, not a Task', async () => {
    const { sut, mocks } = await setup();
    mocks.advoware.deleteBankverbindung.mockRejectedValue(
      new UpstreamForbiddenError('espocrm', 'forbidden'),
    );

    await expect(sut.handleDeleted('bv-1', undefined)).rejects.toBeInstanceOf(
      UpstreamForbiddenError,
    );
    expect(mocks.records.ensureTask).not.toHaveBeenCalled();
  });

  it('already gone from Advoware (404 on delete): nothing to do, locator forgotten', async () => {
    const { sut, mocks } = await setup();
    mocks.advoware.deleteBankverbindung.mockRejectedValue(
      new UpstreamNotFoundError('advoware', 'gone'),
    );

    await expect(sut.handleDeleted('bv-1', undefined)).resolves.toBe('delete_nothing_to_do');
    expect(mocks.locations.forget).toHaveBeenCalledWith('bv-1');
  });

  it('never synced (no locator, not flagged with a konto): nothing to do, no Advoware call', async () => {
    const { sut, mocks } = await setup();
    mocks.locations.get.mockResolvedValue(undefined);

    await expect(sut.handleDeleted('bv-1', undefined)).resolves.toBe('delete_nothing_to_do');
    expect(mocks.advoware.listBankverbindungen).not.toHaveBeenCalled();
  });
});
