import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { deleteKeysWithPrefix } from '../../test/support/redis-keys.js';
import { asyncItems, newTestService, type Mocks } from '../../test/support/new-test-service.js';
import { testConfig } from '../../test/support/test-env.js';
import { UpstreamNotFoundError } from '../core/errors/upstream.errors.js';
import { REDIS } from '../core/redis/redis.module.js';
import { EspoCrmClient } from '../integrations/espocrm/espocrm.client.js';
import type { EspoRecord } from '../integrations/espocrm/espocrm.types.js';
import { XaiClient } from '../integrations/xai/xai.client.js';
import type { XaiCollection, XaiCollectionDocument } from '../integrations/xai/xai.types.js';
import { CollectionAdoption } from './collection-adoption.service.js';
import {
  COLLECTION_FIELD_DEFINITIONS,
  adoptedDescription,
  collectionDescription,
  documentFields,
} from './collection.mapper.js';

const DEPS = { espo: EspoCrmClient, xai: XaiClient };
const OWNER = { entityType: 'CBeteiligte', entityId: 'espo-1' };

/** A collection the old hub made: its own description, no owner line, no field definitions. */
const oldHubCollection = (over: Partial<XaiCollection> = {}): XaiCollection => ({
  collection_id: 'col-old',
  collection_name: 'Muster',
  collection_description: 'Akte Muster',
  created_at: '2025-01-01T00:00:00Z',
  ...over,
});

const membership = (fileId: string, fields?: Record<string, string>): XaiCollectionDocument => ({
  file_metadata: { file_id: fileId },
  status: 'DOCUMENT_STATUS_PROCESSED',
  fields,
});

describe('CollectionAdoption', () => {
  // Redis is real: the set of collections known to carry the owner line lives there.
  const config = testConfig();
  const redis = new Redis({ host: config.redis.host, port: config.redis.port, lazyConnect: true });
  let sut: CollectionAdoption;
  let mocks: Mocks<typeof DEPS>;

  const build = async () =>
    newTestService(CollectionAdoption, DEPS, {
      config,
      providers: [{ provide: REDIS, useValue: redis }],
    });

  beforeAll(async () => {
    await redis.connect();
  });
  afterAll(async () => {
    await deleteKeysWithPrefix(config.redis, config.queue.prefix);
    await redis.quit();
  });

  beforeEach(async () => {
    await deleteKeysWithPrefix(config.redis, config.queue.prefix);
    ({ sut, mocks } = await build());
    mocks.xai.updateCollection.mockResolvedValue(oldHubCollection());
    mocks.xai.addDocument.mockResolvedValue(true);
    mocks.xai.removeDocument.mockResolvedValue(undefined);
    mocks.xai.listDocuments.mockImplementation(() => asyncItems<XaiCollectionDocument>());
    mocks.espo.listAllRelated.mockImplementation(
      <T extends EspoRecord>() => asyncItems<EspoRecord>() as AsyncIterable<T>,
    );
  });

  function documentsOfEntity(...docs: EspoRecord[]): void {
    mocks.espo.listAllRelated.mockImplementation(
      <T extends EspoRecord>() => asyncItems(...docs) as AsyncIterable<T>,
    );
  }

  describe("an old hub's collection", () => {
    beforeEach(() => {
      mocks.xai.listDocuments.mockImplementation(() =>
        asyncItems(
          membership('file-untagged'),
          membership('file-tagged', documentFields('doc-2')),
          membership('file-nobody-names'),
        ),
      );
      documentsOfEntity(
        { id: 'doc-1', xaiId: 'file-untagged' },
        { id: 'doc-2', xaiId: 'file-tagged' },
        // Its membership is missing from the list (an interrupted retag removed it).
        { id: 'doc-3', xaiId: 'file-lost', xaiCollections: ['col-old'] },
        { id: 'doc-4', xaiId: 'file-elsewhere', xaiCollections: ['col-other'] },
      );
    });

    it('declares the fields, tags the memberships its documents name, then writes the owner line', async () => {
      await expect(sut.ensureAdopted('col-old', OWNER, oldHubCollection())).resolves.toBe(
        'adopted',
      );

      const updates = mocks.xai.updateCollection.mock.calls;
      expect(updates[0]).toEqual([
        'col-old',
        {
          fieldDefinitionUpdates: COLLECTION_FIELD_DEFINITIONS.map((field_definition) => ({
            field_definition,
            operation: 'FIELD_DEFINITION_ADD',
          })),
        },
      ]);
      // Untagged: removed and added again with the fields (xAI cannot change them in place).
      expect(mocks.xai.removeDocument.mock.calls).toEqual([['col-old', 'file-untagged']]);
      expect(mocks.xai.addDocument.mock.calls).toEqual([
        ['col-old', 'file-untagged', documentFields('doc-1')],
        ['col-old', 'file-lost', documentFields('doc-3')],
      ]);
      // The owner line marks the adoption done, so it comes last.
      expect(updates[1]).toEqual([
        'col-old',
        { description: adoptedDescription('Akte Muster', OWNER) },
      ]);
      expect(mocks.xai.updateCollection.mock.invocationCallOrder[1]).toBeGreaterThan(
        Math.max(...mocks.xai.addDocument.mock.invocationCallOrder),
      );
    });

    it('writes no owner line when tagging fails, so the next touch tries again', async () => {
      mocks.xai.addDocument.mockRejectedValue(new Error('xai answered 503'));

      await expect(sut.ensureAdopted('col-old', OWNER, oldHubCollection())).rejects.toThrow('503');

      expect(mocks.xai.updateCollection).not.toHaveBeenCalledWith('col-old', {
        description: expect.any(String),
      });
      mocks.xai.getCollection.mockResolvedValue(oldHubCollection());
      mocks.xai.addDocument.mockResolvedValue(true);
      await expect(sut.ensureAdopted('col-old', OWNER)).resolves.toBe('adopted');
    });

    it('is remembered once adopted: a later touch costs nothing upstream, in another process too', async () => {
      await sut.ensureAdopted('col-old', OWNER, oldHubCollection());

      await expect(sut.ensureAdopted('col-old', OWNER)).resolves.toBe('known');
      const other = await build();
      await expect(other.sut.ensureAdopted('col-old', OWNER)).resolves.toBe('known');
      expect(other.mocks.xai.getCollection).not.toHaveBeenCalled();
      expect(mocks.xai.getCollection).not.toHaveBeenCalled();
    });
  });

  it('leaves a collection carrying its owner line alone, and remembers it', async () => {
    mocks.xai.getCollection.mockResolvedValue(
      oldHubCollection({ collection_description: collectionDescription(OWNER) }),
    );

    await expect(sut.ensureAdopted('col-old', OWNER)).resolves.toBe('owned');
    await expect(sut.ensureAdopted('col-old', OWNER)).resolves.toBe('known');

    expect(mocks.xai.getCollection).toHaveBeenCalledTimes(1);
    expect(mocks.xai.updateCollection).not.toHaveBeenCalled();
    expect(mocks.xai.listDocuments).not.toHaveBeenCalled();
  });

  it('never adopts a collection whose owner line names another entity', async () => {
    mocks.xai.getCollection.mockResolvedValue(
      oldHubCollection({
        collection_description: collectionDescription({ ...OWNER, entityId: 'espo-2' }),
      }),
    );

    await expect(sut.ensureAdopted('col-old', OWNER)).resolves.toBe('foreign');
    await expect(sut.ensureAdopted('col-old', OWNER)).resolves.toBe('foreign');

    expect(mocks.xai.updateCollection).not.toHaveBeenCalled();
    expect(mocks.xai.addDocument).not.toHaveBeenCalled();
  });

  it('answers gone for a collection xAI does not have', async () => {
    mocks.xai.getCollection.mockRejectedValue(
      new UpstreamNotFoundError('xai', 'xai answered 404', { status: 404 }),
    );

    await expect(sut.ensureAdopted('col-old', OWNER)).resolves.toBe('gone');
    expect(mocks.xai.updateCollection).not.toHaveBeenCalled();
  });

  describe('tagMembership (an add answered 409)', () => {
    it('retags a membership the old hub added without fields', async () => {
      mocks.xai.getDocument.mockResolvedValue(membership('file-1'));

      await sut.tagMembership('col-old', 'file-1', 'doc-1');

      expect(mocks.xai.removeDocument).toHaveBeenCalledWith('col-old', 'file-1');
      expect(mocks.xai.addDocument).toHaveBeenCalledWith(
        'col-old',
        'file-1',
        documentFields('doc-1'),
      );
    });

    it('leaves a tagged membership as it is', async () => {
      mocks.xai.getDocument.mockResolvedValue(membership('file-1', documentFields('doc-1')));

      await sut.tagMembership('col-old', 'file-1', 'doc-1');

      expect(mocks.xai.removeDocument).not.toHaveBeenCalled();
      expect(mocks.xai.addDocument).not.toHaveBeenCalled();
    });
  });
});
