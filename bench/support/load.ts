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

/**
 * Several windows of the same load as one: successes per second over their summed time,
 * and the worse window's latencies (percentiles of different windows do not add up).
 */
export function combineLoads(runs: LoadResult[]): LoadResult {
  const sum = (f: (r: LoadResult) => number) => runs.reduce((a, r) => a + f(r), 0);
  const statusCodes: Record<string, number> = {};
  for (const r of runs)
    for (const [code, n] of Object.entries(r.statusCodes))
      statusCodes[code] = (statusCodes[code] ?? 0) + n;
  const ok = sum((r) => r.ok);
  const durationS = sum((r) => r.durationS);
  return {
    ok,
    non2xx: sum((r) => r.non2xx),
    errors: sum((r) => r.errors),
    durationS,
    rps: ok / durationS,
    p50: Math.max(...runs.map((r) => r.p50)),
    p99: Math.max(...runs.map((r) => r.p99)),
    statusCodes,
  };
}
