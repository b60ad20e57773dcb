import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { deleteKeysWithPrefix } from '../../test/support/redis-keys.js';
import { testConfig } from '../../test/support/test-env.js';
import { CollectionGenerationStore } from './collection-generation.store.js';

describe('CollectionGenerationStore', () => {
  // Real Redis (never mocked here); each store under its own queue prefix.
  const config = testConfig();
  const other = testConfig();
  const redis = new Redis({ host: config.redis.host, port: config.redis.port, lazyConnect: true });

  beforeAll(() => redis.connect());
  afterAll(async () => {
    await deleteKeysWithPrefix(config.redis, config.queue.prefix);
    await deleteKeysWithPrefix(other.redis, other.queue.prefix);
    await redis.quit();
  });

  it('starts at 0, moves on with every bump, and is kept per queue prefix', async () => {
    const store = new CollectionGenerationStore(config, redis);
    const neighbour = new CollectionGenerationStore(other, redis);

    await expect(store.current()).resolves.toBe('0');
    await store.bump();
    await store.bump();
    await expect(store.current()).resolves.toBe('2');
    await expect(neighbour.current()).resolves.toBe('0');
    // The key the document sync and the collection manager have always shared.
    await expect(redis.get(`${config.queue.prefix}:xai:collections:generation`)).resolves.toBe('2');
  });

  it('rejects when Redis does not answer (the document sync then trusts no cached id)', async () => {
    const down = new Redis({
      host: '127.0.0.1',
      port: 1,
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    down.on('error', () => undefined);
    const store = new CollectionGenerationStore(config, down);

    await expect(store.current()).rejects.toThrow();
    down.disconnect();
  });
});
