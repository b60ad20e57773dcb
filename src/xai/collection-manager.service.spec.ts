import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { deleteKeysWithPrefix } from '../../test/support/redis-keys.js';
import { asyncItems, newTestService, type Mocks } from '../../test/support/new-test-service.js';
import { testConfig } from '../../test/support/test-env.js';
import { UpstreamNotFoundError } from '../core/errors/upstream.errors.js';
import { JobProducer } from '../core/queue/job-producer.service.js';
import { REDIS } from '../core/redis/redis.module.js';
import { EspoCrmClient } from '../integrations/espocrm/espocrm.client.js';
import type { EspoRecord } from '../integrations/espocrm/espocrm.types.js';
import { XaiClient } from '../integrations/xai/xai.client.js';
import type { XaiCollection } from '../integrations/xai/xai.types.js';
import { CollectionAdoption } from './collection-adoption.service.js';
import { CollectionManagerService, DOCUMENTS_LINK } from './collection-manager.service.js';
import { COLLECTION_FIELD_DEFINITIONS, collectionDescription } from './collection.mapper.js';
import { DocumentTopics } from './xai.jobs.js';

const DEPS = {
  espo: EspoCrmClient,
  xai: XaiClient,
  producer: JobProducer,
  adoption: CollectionAdoption,
};
const OWNER = { entityType: 'CBeteiligte', entityId: 'espo-1' };
const NAME = 'CBeteiligte - Anna Muster';

/** A collection as the hub makes it for OWNER: right name, owner line, field definitions. */
const collection = (id: string, over: Partial<XaiCollection> = {}): XaiCollection => ({
  collection_id: id,
  collection_name: NAME,
  collection_description: collectionDescription(OWNER),
  created_at: '2026-12-01T10:00:00Z',
  field_definitions: COLLECTION_FIELD_DEFINITIONS,
  ...over,
});

const gone = () => new UpstreamNotFoundError('xai', 'xai answered 404', { status: 404 });

describe('CollectionManagerService', () => {
  // Redis is real (never mocked here): the storm-pending marker lives there.
  const config = testConfig({}, { XAI_COLLECTION_ENTITY_TYPES: 'CBeteiligte,Account' });
  const redis = new Redis({ host: config.redis.host, port: config.redis.port, lazyConnect: true });
  /** The storm-pending markers of this test's prefix (SCAN: the Redis is shared). */
  const stormPendingKeys = async () => {
    const found: string[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(
        cursor,
        'MATCH',
        `${config.queue.prefix}:xai:storm-pending:*`,
      );
      cursor = next;
      found.push(...keys);
    } while (cursor !== '0');
    return found;
  };
  let sut: CollectionManagerService;
  let mocks: Mocks<typeof DEPS>;

  beforeAll(async () => {
    await redis.connect();
  });
  afterAll(async () => {
    await deleteKeysWithPrefix(config.redis, config.queue.prefix);
    await redis.quit();
  });

  beforeEach(async () => {
    await deleteKeysWithPrefix(config.redis, config.queue.prefix);
    ({ sut, mocks } = await newTestService(CollectionManagerService, DEPS, {
      config,
      providers: [{ provide: REDIS, useValue: redis }],
    }));
    mocks.espo.get.mockResolvedValue({ id: 'espo-1', name: 'Anna Muster' });
    mocks.espo.update.mockResolvedValue({ id: 'espo-1' });
    mocks.espo.listAllRelated.mockImplementation(
      <T extends EspoRecord>() => asyncItems({ id: 'doc-1' }, { id: 'doc-2' }) as AsyncIterable<T>,
    );
    mocks.xai.listCollections.mockImplementation(() => asyncItems<XaiCollection>());
    mocks.producer.enqueue.mockResolvedValue({ enqueued: 2, coalesced: 0 });
    mocks.adoption.ensureAdopted.mockImplementation(() => Promise.resolve('known'));
  });

  const storedId = (id: string) =>
    mocks.espo.get.mockResolvedValue({ id: 'espo-1', name: 'Anna Muster', xaiCollectionId: id });

  it('trusts a stored collection id once xAI confirms it: no create, no write, no storm', async () => {
    storedId('col-1');
    mocks.xai.getCollection.mockResolvedValue(collection('col-1'));

    await expect(sut.ensureCollection(OWNER, 't-1')).resolves.toBe('verified');

    expect(mocks.xai.getCollection).toHaveBeenCalledWith('col-1');
    expect(mocks.xai.createCollection).not.toHaveBeenCalled();
    expect(mocks.xai.updateCollection).not.toHaveBeenCalled();
    expect(mocks.espo.update).not.toHaveBeenCalled();
    expect(mocks.producer.enqueue).not.toHaveBeenCalled();
    // A collection the old hub made is adopted (owner line, tags) on this first touch.
    expect(mocks.adoption.ensureAdopted).toHaveBeenCalledWith('col-1', OWNER, collection('col-1'));
  });

  it('renames a verified collection whose entity was renamed', async () => {
    storedId('col-1');
    mocks.xai.getCollection.mockResolvedValue(collection('col-1', { collection_name: 'old' }));
    mocks.xai.updateCollection.mockResolvedValue(collection('col-1'));

    await expect(sut.ensureCollection(OWNER, 't-1')).resolves.toBe('verified');

    expect(mocks.xai.updateCollection).toHaveBeenCalledWith('col-1', { name: NAME });
  });

  it('recreates a collection that is gone on the xAI side, stores its id and enqueues the documents', async () => {
    storedId('col-gone');
    mocks.xai.getCollection.mockRejectedValue(gone());
    mocks.xai.createCollection.mockResolvedValue(collection('col-new'));

    await expect(sut.ensureCollection(OWNER, 't-1')).resolves.toBe('created');

    expect(mocks.xai.createCollection).toHaveBeenCalledWith({
      name: NAME,
      description: collectionDescription(OWNER),
      fieldDefinitions: COLLECTION_FIELD_DEFINITIONS,
    });
    expect(mocks.adoption.remember).toHaveBeenCalledWith('col-new');
    expect(mocks.espo.update).toHaveBeenCalledWith('CBeteiligte', 'espo-1', {
      xaiCollectionId: 'col-new',
    });
    expect(mocks.espo.listAllRelated).toHaveBeenCalledWith(
      'CBeteiligte',
      'espo-1',
      DOCUMENTS_LINK,
      { select: ['id'] },
    );
    expect(mocks.producer.enqueue).toHaveBeenCalledTimes(1);
    const [topic, payloads] = mocks.producer.enqueue.mock.calls[0];
    expect(topic).toBe(DocumentTopics.Update);
    expect(payloads).toEqual([
      { entityId: 'doc-1', traceId: 't-1' },
      { entityId: 'doc-2', traceId: 't-1' },
    ]);
    expect(mocks.espo.update.mock.invocationCallOrder[0]).toBeLessThan(
      mocks.producer.enqueue.mock.invocationCallOrder[0],
    );
    expect(await stormPendingKeys()).toEqual([]);
  });

  it('adopts a collection it made earlier (found by its owner line) instead of creating a second', async () => {
    mocks.xai.listCollections.mockImplementation(() =>
      asyncItems(
        collection('col-other', {
          collection_description: collectionDescription({ ...OWNER, entityId: 'espo-2' }),
        }),
        collection('col-mine', { field_definitions: [] }),
      ),
    );
    mocks.xai.updateCollection.mockResolvedValue(collection('col-mine'));

    await expect(sut.ensureCollection(OWNER, 't-1')).resolves.toBe('adopted');

    expect(mocks.xai.createCollection).not.toHaveBeenCalled();
    // Field definitions it lacks are declared on adoption.
    expect(mocks.xai.updateCollection).toHaveBeenCalledWith('col-mine', {
      fieldDefinitionUpdates: COLLECTION_FIELD_DEFINITIONS.map((field_definition) => ({
        field_definition,
        operation: 'FIELD_DEFINITION_ADD',
      })),
    });
    expect(mocks.espo.update).toHaveBeenCalledWith('CBeteiligte', 'espo-1', {
      xaiCollectionId: 'col-mine',
    });
    expect(mocks.producer.enqueue).toHaveBeenCalledTimes(1);
  });

  it('leaves the storm marked pending when it fails, and a retry that only verifies resumes it', async () => {
    mocks.xai.createCollection.mockResolvedValue(collection('col-new'));
    mocks.producer.enqueue.mockRejectedValueOnce(new Error('queue unavailable'));

    await expect(sut.ensureCollection(OWNER, 't-1')).rejects.toThrow('queue unavailable');
    expect(await stormPendingKeys()).toHaveLength(1);

    storedId('col-new');
    mocks.xai.getCollection.mockResolvedValue(collection('col-new'));
    await expect(sut.ensureCollection(OWNER, 't-2')).resolves.toBe('verified');

    expect(mocks.producer.enqueue).toHaveBeenCalledTimes(2);
    expect(mocks.producer.enqueue.mock.calls[1][1]).toEqual([
      { entityId: 'doc-1', traceId: 't-2' },
      { entityId: 'doc-2', traceId: 't-2' },
    ]);
    expect(await stormPendingKeys()).toEqual([]);
  });

  it('does nothing for an entity gone from EspoCRM', async () => {
    mocks.espo.get.mockRejectedValue(
      new UpstreamNotFoundError('espocrm', 'espocrm answered 404', { status: 404 }),
    );

    await expect(sut.ensureCollection(OWNER, 't-1')).resolves.toBe('entity_gone');
    expect(mocks.xai.createCollection).not.toHaveBeenCalled();
  });

  it('makes no collection for an entity type outside XAI_COLLECTION_ENTITY_TYPES', async () => {
    await expect(
      sut.ensureCollection({ entityType: 'Contact', entityId: 'c-1' }, 't-1'),
    ).resolves.toBe('not_a_collection_type');
    expect(mocks.espo.get).not.toHaveBeenCalled();
  });

  it('passes on an xAI error other than 404 when verifying, rather than recreating', async () => {
    storedId('col-1');
    const outage = new Error('xai answered 503');
    mocks.xai.getCollection.mockRejectedValue(outage);

    await expect(sut.ensureCollection(OWNER, 't-1')).rejects.toBe(outage);
    expect(mocks.xai.createCollection).not.toHaveBeenCalled();
  });
});
