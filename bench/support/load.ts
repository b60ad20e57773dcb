import autocannon from 'autocannon';

export interface LoadResult {
  ok: number;
  non2xx: number;
  errors: number;
  durationS: number;
  rps: number;
  p50: number;
  p99: number;
  statusCodes: Record<string, number>;
}

export interface LoadOptions {
  url: string;
  connections: number;
  durationS: number;
  /** A fixed body, with `[<id>]` replaced by a fresh id per request. */
  bodyWithId?: string;
  /** Builds each request's body (for bodies with many distinct ids). */
  body?: () => string;
}

/** One autocannon run of JSON POSTs; successes per second over the measured time. */
export async function postLoad(options: LoadOptions): Promise<LoadResult> {
  const body = options.body;
  const result = await autocannon({
    url: options.url,
    method: 'POST',
    connections: options.connections,
    duration: options.durationS,
    headers: { 'content-type': 'application/json' },
    ...(options.bodyWithId !== undefined
      ? { body: options.bodyWithId, idReplacement: true }
      : {
          requests: [
            {
              method: 'POST',
              setupRequest: (req) => ({ ...req, body: body ? body() : '[]' }),
            },
          ],
        }),
  });
  const statusCodes: Record<string, number> = {};
  for (const [code, stat] of Object.entries(result.statusCodeStats ?? {}))
    statusCodes[code] = stat.count ?? 0;
  return {
    ok: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
    durationS: result.duration,
    rps: result['2xx'] / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    statusCodes,
  };
}
