import type autocannon from 'autocannon';

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

/** One autocannon run in the table's terms: successes per second over the measured time. */
export function summariseLoad(result: autocannon.Result): LoadResult {
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
