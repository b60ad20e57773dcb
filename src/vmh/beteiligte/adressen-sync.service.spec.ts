import { beforeEach, describe, expect, it } from '@jest/globals';
import { asyncItems, newTestService, type Mocks } from '../../../test/support/new-test-service.js';
import { AdvowareClient } from '../../integrations/advoware/advoware.client.js';
import type {
  AdvowareAdresse,
  AdvowareBeteiligte,
} from '../../integrations/advoware/advoware.types.js';
import { EspoCrmClient } from '../../integrations/espocrm/espocrm.client.js';
import type {
  CAdressen,
  CBeteiligte,
  EspoRecord,
} from '../../integrations/espocrm/espocrm.types.js';
import { adresseMarker } from './adressen.diff.js';
import { AdressenSyncService } from './adressen-sync.service.js';

const DEPS = { espocrm: EspoCrmClient, advoware: AdvowareClient };
const PARTY: AdvowareBeteiligte = { betNr: 1001, name: 'Muster' };
const ESPO: CBeteiligte = { id: 'espo-1', assignedUserId: 'user-7' };

const espoAdresse = (id: string, over: Partial<CAdressen> = {}): CAdressen => ({
  id,
  strasse: 'Hauptstr. 1',
  plz: '10115',
  ort: 'Berlin',
  land: 'DE',
  ...over,
});

const advowareAdresse = (id: number, espoId: string, over: Partial<AdvowareAdresse> = {}) => ({
  id,
  strasse: 'Hauptstr. 1',
  plz: '10115',
  ort: 'Berlin',
  land: 'DE',
  bemerkung: adresseMarker(espoId),
  ...over,
});

describe('AdressenSyncService', () => {
  let sut: AdressenSyncService;
  let mocks: Mocks<typeof DEPS>;

  beforeEach(async () => {
    ({ sut, mocks } = await newTestService(AdressenSyncService, DEPS));
    mocks.espocrm.findOpenTask.mockResolvedValue(undefined);
    mocks.espocrm.createTask.mockResolvedValue({ id: 'task-1', name: 'x' });
  });

  function given(espo: CAdressen[], advoware: AdvowareAdresse[]): void {
    mocks.espocrm.listAllRelated.mockImplementation(
      <T extends EspoRecord>() => asyncItems(...espo) as AsyncIterable<T>,
    );
    mocks.advoware.adressenOf.mockResolvedValue(advoware);
  }

  it('reads the party’s addresses over its adressen link', async () => {
    given([], []);

    await sut.sync(ESPO, PARTY);

    expect(mocks.espocrm.listAllRelated).toHaveBeenCalledWith('CBeteiligte', 'espo-1', 'adressen');
    expect(mocks.advoware.adressenOf).toHaveBeenCalledWith(PARTY);
  });

  it('asks a person by Task to delete an address deleted in EspoCRM: the API cannot delete', async () => {
    given([], [advowareAdresse(11, 'adr-gone')]);

    const result = await sut.sync(ESPO, PARTY);

    expect(mocks.espocrm.createTask).toHaveBeenCalledWith({
      name: 'Advoware-Adresse 11 (betnr 1001): löschen',
      description: expect.stringContaining('address_delete_required'),
      parentType: 'CBeteiligte',
      parentId: 'espo-1',
      assignedUserId: 'user-7',
    });
    expect(mocks.advoware.updateAdresse).not.toHaveBeenCalled();
    expect(result).toEqual({ advowareWrites: 0, tasks: 1 });
  });

  it('makes no second Task while the first for the same problem is open', async () => {
    given([], [advowareAdresse(11, 'adr-gone')]);
    mocks.espocrm.findOpenTask.mockResolvedValue({ id: 'task-1', name: 'open' });

    const result = await sut.sync(ESPO, PARTY);

    expect(mocks.espocrm.findOpenTask).toHaveBeenCalledWith(
      'CBeteiligte',
      'espo-1',
      'Advoware-Adresse 11 (betnr 1001): löschen',
    );
    expect(mocks.espocrm.createTask).not.toHaveBeenCalled();
    expect(result.tasks).toBe(0);
  });

  it('creates a new EspoCRM address in Advoware carrying the EspoCRM id', async () => {
    given([espoAdresse('adr-1', { istStandard: true })], []);

    const result = await sut.sync(ESPO, PARTY);

    expect(mocks.advoware.createAdresse).toHaveBeenCalledWith(
      1001,
      expect.objectContaining({ strasse: 'Hauptstr. 1', bemerkung: adresseMarker('adr-1') }),
    );
    expect(result).toEqual({ advowareWrites: 1, tasks: 0 });
  });

  it('PUTs a changed writable field and makes a Task for a read-only one', async () => {
    given(
      [espoAdresse('adr-1', { strasse: 'Nebenstr. 2', land: 'AT' })],
      [advowareAdresse(11, 'adr-1')],
    );

    const result = await sut.sync({ ...ESPO, assignedUserId: null }, PARTY);

    expect(mocks.advoware.updateAdresse).toHaveBeenCalledWith(1001, 11, {
      strasse: 'Nebenstr. 2',
      plz: '10115',
      ort: 'Berlin',
      anschrift: null,
    });
    expect(mocks.espocrm.createTask).toHaveBeenCalledWith(
      expect.objectContaining({
        name: 'Advoware-Adresse 11 (betnr 1001): land ändern',
        assignedUserId: undefined,
      }),
    );
    expect(result).toEqual({ advowareWrites: 1, tasks: 1 });
  });
});
