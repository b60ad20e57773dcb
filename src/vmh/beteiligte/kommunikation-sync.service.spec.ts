import { beforeEach, describe, expect, it } from '@jest/globals';
import { newTestService, type Mocks } from '../../../test/support/new-test-service.js';
import { AdvowareClient } from '../../integrations/advoware/advoware.client.js';
import type {
  AdvowareBeteiligte,
  AdvowareKommunikation,
} from '../../integrations/advoware/advoware.types.js';
import type { CBeteiligte } from '../../integrations/espocrm/espocrm.types.js';
import { KOMM_KZ, kommunikationHash, marker, slotMarker } from './kommunikation.diff.js';
import { KommunikationSyncService } from './kommunikation-sync.service.js';

const DEPS = { advoware: AdvowareClient };
const PARTY: AdvowareBeteiligte = { betNr: 1001, rowId: 'row-1', name: 'Muster' };

const email = (id: number, value: string, over: Partial<AdvowareKommunikation> = {}) => ({
  id,
  rowId: `r${id}`,
  kommKz: KOMM_KZ.email,
  tlf: value,
  bemerkung: marker(value, KOMM_KZ.email),
  ...over,
});

function espoWith(emails: string[], over: Partial<CBeteiligte> = {}): CBeteiligte {
  return {
    id: 'espo-1',
    emailAddressData: emails.map((e, i) => ({ emailAddress: e, primary: i === 0 })),
    phoneNumberData: [],
    ...over,
  };
}

describe('KommunikationSyncService', () => {
  let sut: KommunikationSyncService;
  let mocks: Mocks<typeof DEPS>;

  beforeEach(async () => {
    ({ sut, mocks } = await newTestService(KommunikationSyncService, DEPS));
    mocks.advoware.updateKommunikation.mockResolvedValue(email(1, 'x@example.org'));
    mocks.advoware.createKommunikation.mockResolvedValue(email(99, 'x@example.org'));
  });

  it('writes nothing and keeps the hash when both sides hold the same values', async () => {
    const entries = [email(1, 'anna@example.org')];
    mocks.advoware.kommunikationenOf.mockResolvedValue(entries);

    const result = await sut.sync(espoWith(['anna@example.org']), PARTY, false);

    expect(mocks.advoware.updateKommunikation).not.toHaveBeenCalled();
    expect(mocks.advoware.createKommunikation).not.toHaveBeenCalled();
    expect(mocks.advoware.readKommunikationen).not.toHaveBeenCalled();
    expect(result).toEqual({
      espoFields: {},
      hash: kommunikationHash(entries),
      advowareWrites: 0,
    });
  });

  it('empties a value deleted in EspoCRM into a slot, since Advoware refuses deletes (403)', async () => {
    mocks.advoware.kommunikationenOf.mockResolvedValue([email(1, 'anna@example.org')]);
    const after = [email(1, '', { rowId: 'r1-b', bemerkung: slotMarker(KOMM_KZ.email) })];
    mocks.advoware.readKommunikationen.mockResolvedValue(after);

    const result = await sut.sync(espoWith([]), PARTY, true);

    expect(mocks.advoware.updateKommunikation).toHaveBeenCalledWith(1001, 1, {
      tlf: '',
      bemerkung: slotMarker(KOMM_KZ.email),
    });
    expect(mocks.advoware.createKommunikation).not.toHaveBeenCalled();
    // The hash is that of Advoware after the writes, so the next run sees no Advoware change.
    expect(mocks.advoware.readKommunikationen).toHaveBeenCalledWith(1001);
    expect(result).toMatchObject({ hash: kommunikationHash(after), advowareWrites: 1 });
  });

  it('puts a new EspoCRM value into a free slot before creating an entry', async () => {
    mocks.advoware.kommunikationenOf.mockResolvedValue([
      email(3, '', { bemerkung: slotMarker(KOMM_KZ.email) }),
    ]);
    mocks.advoware.readKommunikationen.mockResolvedValue([email(3, 'neu@example.org')]);

    await sut.sync(espoWith(['neu@example.org']), PARTY, true);

    expect(mocks.advoware.updateKommunikation).toHaveBeenCalledWith(1001, 3, {
      tlf: 'neu@example.org',
      bemerkung: marker('neu@example.org', KOMM_KZ.email),
    });
    expect(mocks.advoware.createKommunikation).not.toHaveBeenCalled();
  });

  it('creates a marked entry for a new EspoCRM value when no slot is free', async () => {
    mocks.advoware.kommunikationenOf.mockResolvedValue([]);
    mocks.advoware.readKommunikationen.mockResolvedValue([email(4, 'neu@example.org')]);

    const result = await sut.sync(espoWith(['neu@example.org']), PARTY, true);

    expect(mocks.advoware.createKommunikation).toHaveBeenCalledWith(1001, {
      kommKz: KOMM_KZ.email,
      tlf: 'neu@example.org',
      bemerkung: marker('neu@example.org', KOMM_KZ.email),
      online: true,
    });
    expect(result.advowareWrites).toBe(1);
  });

  it('after an Advoware-only change drops from EspoCRM what Advoware deleted, writing nothing to Advoware', async () => {
    const entries = [email(1, 'anna@example.org')];
    mocks.advoware.kommunikationenOf.mockResolvedValue(entries);
    const espo = espoWith(['anna@example.org', 'weg@example.org'], {
      kommunikationHash: 'stale-hash',
    });

    const result = await sut.sync(espo, PARTY, false);

    expect(mocks.advoware.createKommunikation).not.toHaveBeenCalled();
    expect(mocks.advoware.updateKommunikation).not.toHaveBeenCalled();
    expect(result.espoFields).toEqual({
      emailAddressData: [{ emailAddress: 'anna@example.org', primary: true }],
      phoneNumberData: [],
    });
  });

  it('treats the same EspoCRM value as new when EspoCRM changed since the sync', async () => {
    mocks.advoware.kommunikationenOf.mockResolvedValue([email(1, 'anna@example.org')]);
    mocks.advoware.readKommunikationen.mockResolvedValue([]);
    const espo = espoWith(['anna@example.org', 'neu@example.org'], {
      kommunikationHash: 'stale-hash',
    });

    await sut.sync(espo, PARTY, true);

    expect(mocks.advoware.createKommunikation).toHaveBeenCalledWith(
      1001,
      expect.objectContaining({ tlf: 'neu@example.org' }),
    );
  });
});
