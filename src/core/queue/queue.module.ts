import { BullModule } from '@nestjs/bull';
import { Global, Module } from '@nestjs/common';
import { Redis } from 'ioredis';
import { AppConfig } from '../../config/app-config.js';
import { backoffDelay } from './retry-policy.js';
import { CRON_QUEUE } from './topic.js';

export const BULL_CLIENTS = Symbol('BULL_CLIENTS');
export const STALLED_CHECK_MS = 5_000;

/** One set per app instance, so tests with several instances close their own. */
const clientSets = new WeakMap<AppConfig, Set<Redis>>();
function clientsOf(config: AppConfig): Set<Redis> {
  let set = clientSets.get(config);
  if (!set) clientSets.set(config, (set = new Set()));
  return set;
}

/** What ioredis rejects a command with when its connection closed before the reply. */
const CONNECTION_CLOSED = 'Connection is closed.';

/**
 * Bull names each worker's blocking connection with `CLIENT SETNAME` when a queue starts
 * processing and leaves that promise unawaited (bull 4.16 `setHandler` → `setWorkerName`).
 * Closed before the reply (a hub stopped during boot; Bull's own pause closes it too), the
 * command fails with "Connection is closed." and nothing handles it: an unhandled
 * rejection per queue, which ends a Node process. The name is not lost: Bull also stores it
 * as the connection's `connectionName`, which ioredis sends on every (re)connect. Any other
 * error of the command still reaches Bull.
 */
function tolerateClosedSetname(bclient: Redis): Redis {
  const send = bclient.client.bind(bclient) as (...args: unknown[]) => Promise<unknown>;
  const client = (...args: unknown[]) => {
    const reply = send(...args);
    if (String(args[0]).toLowerCase() !== 'setname') return reply;
    return reply.catch((err: Error) => {
      if (err.message !== CONNECTION_CLOSED) throw err;
      return 'OK';
    });
  };
  return Object.assign(bclient, { client });
}

/**
 * Bull over the configured Redis. All queues share one command connection and one
 * subscriber (Bull's documented `createClient` reuse); each processing queue still
 * gets its own blocking connection. Job defaults live here, in one place:
 * attempts and the jittered backoff of retry-policy.ts, completed jobs removed,
 * failed jobs kept as the dead-letter set.
 */
@Global()
@Module({
  imports: [
    BullModule.forRootAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => {
        const base = {
          host: config.redis.host,
          port: config.redis.port,
          password: config.redis.password,
          db: config.redis.db,
          retryStrategy: (times: number) => Math.min(times * 200, 2000),
        };
        let client: Redis | undefined;
        let subscriber: Redis | undefined;
        const track = (r: Redis) => {
          // Every queue adds its listeners to the shared connections.
          r.setMaxListeners(0);
          r.on('error', () => undefined);
          clientsOf(config).add(r);
          return r;
        };
        return {
          prefix: config.queue.prefix,
          createClient: (type: string) => {
            if (type === 'client') {
              // Fails a command after one reconnect attempt instead of holding it, so
              // an enqueue during an outage turns into a 503 quickly.
              return (client ??= track(new Redis({ ...base, maxRetriesPerRequest: 1 })));
            }
            const opts = { ...base, maxRetriesPerRequest: null, enableReadyCheck: false };
            if (type === 'subscriber') return (subscriber ??= track(new Redis(opts)));
            return tolerateClosedSetname(track(new Redis(opts)));
          },
          defaultJobOptions: {
            attempts: config.queue.attempts,
            backoff: { type: 'hub' },
            removeOnComplete: true,
            removeOnFail: false,
          },
          settings: {
            // A job left in `active` without a lock (its worker died, or Redis crashed
            // between moving it there and the worker locking it) waits for this check,
            // which needs two passes: with Bull's 30 s default that is up to a minute.
            // One cheap script per queue every 5 s recovers it within ~10 s.
            stalledInterval: STALLED_CHECK_MS,
            backoffStrategies: {
              hub: (attemptsMade: number, err: Error) =>
                backoffDelay(attemptsMade, err, {
                  baseMs: config.queue.backoffBaseMs,
                  maxMs: config.queue.backoffMaxMs,
                }),
            },
          },
        };
      },
    }),
    BullModule.registerQueue({ name: CRON_QUEUE }),
  ],
  providers: [
    { provide: BULL_CLIENTS, inject: [AppConfig], useFactory: (c: AppConfig) => clientsOf(c) },
  ],
  exports: [BullModule, BULL_CLIENTS],
})
export class QueueModule {}
