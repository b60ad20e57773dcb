import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { deleteKeysWithPrefix } from '../../../test/support/redis-keys.js';
import { testConfig } from '../../../test/support/test-env.js';
import { DocumentLinksIndexStore } from './document-links-index.store.js';

describe('DocumentLinksIndexStore', () => {
  // Real Redis (never mocked here); each store under its own queue prefix.
  const config = testConfig({}, { DOCUMENT_LINKS_CACHE_TTL_S: '600' });
  const off = testConfig({}, { DOCUMENT_LINKS_CACHE_TTL_S: '0' });
  const redis = new Redis({ host: config.redis.host, port: config.redis.port, lazyConnect: true });
  const store = new DocumentLinksIndexStore(config, redis);
  const owners = new Map([['CBeteiligte', ['b-1']]]);
  const key = (id: string) => `${config.queue.prefix}:doclinks:${id}`;

  beforeAll(() => redis.connect());
  afterAll(async () => {
    await deleteKeysWithPrefix(config.redis, config.queue.prefix);
    await deleteKeysWithPrefix(off.redis, off.queue.prefix);
    await redis.quit();
  });

  it('trusts what was learned until a link event for the document', async () => {
    const before = await store.read('doc-1');
    expect(before).toEqual({ epoch: '0' });
    await expect(store.learn('doc-1', before.epoch, owners)).resolves.toBe(true);
    expect(await store.read('doc-1')).toEqual({ epoch: '0', owners });
    expect(await redis.ttl(key('doc-1'))).toBeGreaterThan(590);

    await store.linksChanged(['doc-1', 'doc-2']);
    const after = await store.read('doc-1');
    expect(after.owners).toBeUndefined();
    expect(after.epoch).not.toBe('0');
    // Nothing was learned about doc-2: its epoch moved all the same, and expires.
    expect((await store.read('doc-2')).epoch).toBe(after.epoch);
    expect(await redis.ttl(key('doc-2'))).toBeGreaterThan(590);
  });

  it('does not store what a run learned under an epoch a link event has moved since', async () => {
    const before = await store.read('doc-3');
    await store.linksChanged(['doc-3']);
    await expect(store.learn('doc-3', before.epoch, owners)).resolves.toBe(false);
    const now = await store.read('doc-3');
    expect(now.owners).toBeUndefined();
    await expect(store.learn('doc-3', now.epoch, owners)).resolves.toBe(true);
    expect((await store.read('doc-3')).owners).toEqual(owners);
  });

  it('never gives an epoch twice, even after the hash expired', async () => {
    await store.linksChanged(['doc-4']);
    const first = (await store.read('doc-4')).epoch;
    await redis.del(key('doc-4'));
    await store.linksChanged(['doc-4']);
    expect((await store.read('doc-4')).epoch).not.toBe(first);
  });

  it('drops what was learned about a gone document and keeps its epoch', async () => {
    await store.linksChanged(['doc-5']);
    const { epoch } = await store.read('doc-5');
    await store.learn('doc-5', epoch, owners);
    await store.drop('doc-5');
    expect(await store.read('doc-5')).toEqual({ epoch });
  });

  it('turned off (TTL 0): a link event drops what an earlier setting learned and stores nothing', async () => {
    const disabled = new DocumentLinksIndexStore(off, redis);
    const offKey = `${off.queue.prefix}:doclinks:doc-6`;
    expect(disabled.enabled).toBe(false);
    await redis.hset(offKey, 'owners', '{"Account":["a-1"]}', 'ownersEpoch', '0');
    await disabled.linksChanged(['doc-6', 'doc-7']);
    expect(await redis.exists(offKey, `${off.queue.prefix}:doclinks:doc-7`)).toBe(0);
  });

  it('rejects when Redis does not answer (the reader then reads the lists, the intake answers 503)', async () => {
    const down = new Redis({
      host: '127.0.0.1',
      port: 1,
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    down.on('error', () => undefined);
    const unreachable = new DocumentLinksIndexStore(config, down);
    await expect(unreachable.read('doc-1')).rejects.toThrow();
    await expect(unreachable.linksChanged(['doc-1'])).rejects.toThrow();
    down.disconnect();
  });
});
