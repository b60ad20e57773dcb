import { Redis, type RedisOptions } from 'ioredis';

/**
 * Deletes every key that starts with `<prefix>:` (SCAN, never KEYS, so a shared Redis
 * with many keys is not blocked) and answers how many went. The e2e helpers call it
 * when the last hub of a prefix closes, so test prefixes do not pile up in the shared
 * Redis. Only the test's own prefix: other tests run against the same Redis meanwhile.
 */
export async function deleteKeysWithPrefix(
  connection: Pick<RedisOptions, 'host' | 'port' | 'password' | 'db'>,
  prefix: string,
): Promise<number> {
  if (!/^[\w.-]+$/.test(prefix)) throw new Error(`refusing to delete keys of prefix "${prefix}"`);
  const redis = new Redis({
    ...connection,
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    retryStrategy: () => null,
  });
  redis.on('error', () => undefined);
  let deleted = 0;
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) deleted += await redis.unlink(...keys);
    } while (cursor !== '0');
    await redis.quit();
  } finally {
    redis.disconnect();
  }
  return deleted;
}
