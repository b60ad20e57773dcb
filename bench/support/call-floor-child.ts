import { Agent } from 'undici';

/**
 * The storm's floor: the same number of calls as the work needs, to the same fake, as
 * many at a time as the hub has slots, from a bare HTTP client in a process of its own
 * (undici, the client under the hub's adapter) — no queue, lock, Redis or sync code.
 * What it takes is what the machine's loopback, Node's timers and the fake cost at
 * that moment, which the ideal (calls × latency ÷ slots) does not count.
 */
export interface FloorRequest {
  type: 'run';
  /** The fake's base URL, e.g. `http://127.0.0.1:4567/api/v1`. */
  baseUrl: string;
  headers: Record<string, string>;
  /** Paths under baseUrl, read in turn until `calls` are made. */
  paths: string[];
  calls: number;
  concurrency: number;
}

export type FloorToParent =
  { type: 'done'; elapsedMs: number; meanCallMs: number } | { type: 'failed'; message: string };

async function run(r: FloorRequest): Promise<FloorToParent> {
  const dispatcher = new Agent({ keepAliveTimeout: 5_000, keepAliveMaxTimeout: 5_000 });
  const origin = new URL(r.baseUrl).origin;
  const prefix = new URL(r.baseUrl).pathname.replace(/\/$/, '');
  const call = async (i: number): Promise<number> => {
    const started = performance.now();
    const res = await dispatcher.request({
      origin,
      path: `${prefix}/${r.paths[i % r.paths.length]}`,
      method: 'GET',
      headers: r.headers,
    });
    await res.body.text();
    if (res.statusCode !== 200) throw new Error(`floor call answered ${res.statusCode}`);
    return performance.now() - started;
  };
  // Sockets open and code warm before the clock starts, as the hub's are after its initial sync.
  await Promise.all(Array.from({ length: r.concurrency }, (_, i) => call(i)));
  let next = 0;
  let callMs = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: r.concurrency }, async () => {
      while (next < r.calls) {
        // Not `callMs += await …`: that reads callMs before the await, losing the other slots' sums.
        const ms = await call(next++);
        callMs += ms;
      }
    }),
  );
  const elapsedMs = performance.now() - started;
  await dispatcher.close();
  return { type: 'done', elapsedMs, meanCallMs: callMs / r.calls };
}

process.once('message', (m) => {
  run(m as FloorRequest)
    .catch((err: unknown): FloorToParent => ({
      type: 'failed',
      message: err instanceof Error ? err.message : String(err),
    }))
    .then((answer) => process.send?.(answer, () => process.exit(0)));
});
