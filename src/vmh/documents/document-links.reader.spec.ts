import { beforeEach, describe, expect, it, jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { asyncItems, newTestService, type Mocks } from '../../../test/support/new-test-service.js';
import { testConfig } from '../../../test/support/test-env.js';
import { UpstreamNotFoundError } from '../../core/errors/upstream.errors.js';
import { EspoCrmClient } from '../../integrations/espocrm/espocrm.client.js';
import type { EspoRecord } from '../../integrations/espocrm/espocrm.types.js';
import { CollectionGenerationStore } from '../../xai/collection-generation.store.js';
import { DocumentLinksIndexStore } from './document-links-index.store.js';
import { DocumentLinksReader } from './document-links.reader.js';

const DEPS = {
  espo: EspoCrmClient,
  generations: CollectionGenerationStore,
  index: DocumentLinksIndexStore,
};

const TYPES = 'CBeteiligte,Account';
const record = { id: 'd1', name: 'akte.txt' };
const beteiligte = { id: 'b-1', name: 'Müller', xaiCollectionId: 'col-b1' };
const account = { id: 'a-1', name: 'ACME', xaiCollectionId: 'col-a1' };
const related: Record<string, EspoRecord[]> = { cBeteiligte: [beteiligte], account: [account] };
const owners = new Map([
  ['CBeteiligte', ['b-1']],
  ['Account', ['a-1']],
]);
const linked = [
  { entityType: 'CBeteiligte', entityId: 'b-1', xaiCollectionId: 'col-b1' },
  { entityType: 'Account', entityId: 'a-1', xaiCollectionId: 'col-a1' },
];

describe('DocumentLinksReader without {link}Ids on the record', () => {
  let sut: DocumentLinksReader;
  let mocks: Mocks<typeof DEPS>;

  async function setUp(ttl: string) {
    const config = testConfig(
      {},
      { XAI_COLLECTION_ENTITY_TYPES: TYPES, DOCUMENT_LINKS_CACHE_TTL_S: ttl },
    );
    ({ sut, mocks } = await newTestService(DocumentLinksReader, DEPS, { config }));
    // An accessor, which the auto-mock leaves out.
    Object.defineProperty(mocks.index, 'enabled', { get: () => ttl !== '0' });
    mocks.generations.current.mockResolvedValue('7');
    mocks.espo.get.mockResolvedValue(record);
    mocks.espo.listAllRelated.mockImplementation(
      (_e, _id, link) => asyncItems(...(related[link] ?? [])) as AsyncGenerator<never>,
    );
    mocks.index.read.mockResolvedValue({ epoch: 'e1' });
    mocks.index.learn.mockResolvedValue(true);
  }

  const listReads = () => mocks.espo.listAllRelated.mock.calls.length;

  describe('with the index on', () => {
    beforeEach(() => setUp('86400'));

    it('reads the related lists and stores the owners under the epoch read before them', async () => {
      await expect(sut.load('d1')).resolves.toEqual({ record, linked });

      expect(listReads()).toBe(2);
      expect(mocks.index.learn).toHaveBeenCalledWith('d1', 'e1', owners);
      expect(mocks.index.read.mock.invocationCallOrder[0]).toBeLessThan(
        mocks.espo.listAllRelated.mock.invocationCallOrder[0],
      );
    });

    it('takes the owners from a trusted entry: the record read and nothing else, nothing stored', async () => {
      await sut.load('d1');
      mocks.espo.listAllRelated.mockClear();
      mocks.index.learn.mockClear();
      mocks.index.read.mockResolvedValue({ epoch: 'e1', owners });

      await expect(sut.load('d1')).resolves.toEqual({ record, linked });

      expect(listReads()).toBe(0);
      // Their collection ids came with the lists, under the same collection generation.
      expect(mocks.espo.list).not.toHaveBeenCalled();
      expect(mocks.index.learn).not.toHaveBeenCalled();
      expect(mocks.index.read).toHaveBeenCalledTimes(2);
      expect(mocks.espo.get).toHaveBeenCalledTimes(2);
    });

    it('reads an owner entity whose collection id it does not hold under the current generation', async () => {
      await sut.load('d1');
      mocks.generations.current.mockResolvedValue('8');
      mocks.index.read.mockResolvedValue({ epoch: 'e1', owners });
      mocks.espo.list.mockImplementation(
        (type) =>
          Promise.resolve({
            total: 1,
            list: [type === 'Account' ? account : beteiligte],
          }) as Promise<never>,
      );

      await expect(sut.load('d1')).resolves.toEqual({ record, linked });

      expect(mocks.espo.list).toHaveBeenCalledTimes(2);
      expect(listReads()).toBe(2);
    });

    it('reads the lists of the types the entry does not know, and stores them with the known ones', async () => {
      mocks.index.read.mockResolvedValue({
        epoch: 'e2',
        owners: new Map([['CBeteiligte', ['b-1']]]),
      });
      mocks.espo.list.mockResolvedValue({ total: 1, list: [beteiligte] });

      await expect(sut.load('d1')).resolves.toEqual({
        record,
        linked: expect.arrayContaining(linked) as unknown,
      });

      expect(mocks.espo.listAllRelated.mock.calls.map((c) => c[2])).toEqual(['account']);
      expect(mocks.index.learn).toHaveBeenCalledWith('d1', 'e2', owners);
    });

    it('reads the lists when Redis does not answer, says so once per run and stores nothing', async () => {
      const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
      mocks.index.read.mockRejectedValue(new Error('Connection is closed.'));
      try {
        await sut.load('d1');
        // The second run reads the index beside the record (the first learned the record has no ids).
        await expect(sut.load('d1')).resolves.toEqual({ record, linked });
        expect(listReads()).toBe(4);
        expect(mocks.index.learn).not.toHaveBeenCalled();
        expect(warn.mock.calls.filter(([m]) => String(m).includes('links index'))).toHaveLength(2);
      } finally {
        warn.mockRestore();
      }
    });

    it('syncs all the same when the owners cannot be stored', async () => {
      mocks.index.learn.mockRejectedValue(new Error('Connection is closed.'));
      await expect(sut.load('d1')).resolves.toEqual({ record, linked });
    });

    it('drops the entry of a record that is gone', async () => {
      mocks.espo.get.mockRejectedValue(new UpstreamNotFoundError('espocrm', 'not found'));
      await expect(sut.load('d1')).resolves.toBeUndefined();
      expect(mocks.index.drop).toHaveBeenCalledWith('d1');
    });

    it('never touches the index for a record that carries {link}Ids', async () => {
      mocks.espo.get.mockResolvedValue({ ...record, cBeteiligteIds: ['b-1'], accountIds: [] });
      mocks.espo.list.mockResolvedValue({ total: 1, list: [beteiligte] });

      await expect(sut.load('d1')).resolves.toEqual({
        record: expect.anything(),
        linked: [linked[0]],
      });

      expect(mocks.index.read).not.toHaveBeenCalled();
      expect(mocks.index.learn).not.toHaveBeenCalled();
      expect(listReads()).toBe(0);
    });
  });

  it('with the index off (TTL 0) reads every list on every run and never touches Redis for it', async () => {
    await setUp('0');
    await sut.load('d1');
    await expect(sut.load('d1')).resolves.toEqual({ record, linked });
    expect(listReads()).toBe(4);
    expect(mocks.index.read).not.toHaveBeenCalled();
    expect(mocks.index.learn).not.toHaveBeenCalled();
  });
});
