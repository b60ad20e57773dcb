/** One line of the benchmark's table. `n/a` rows never carry a figure. */
export interface ResultRow {
  scenario: string;
  metric: string;
  value: string;
  target: string;
  status: 'MET' | 'MISSED' | 'info' | 'n/a' | 'ERROR';
  /** The raw number behind `value`, for results.json. */
  raw?: number;
}

export type Comparison = '>=' | '<=' | '==';

export function judged(
  scenario: string,
  metric: string,
  raw: number,
  format: (n: number) => string,
  cmp: Comparison,
  target: number,
): ResultRow {
  const met = cmp === '>=' ? raw >= target : cmp === '<=' ? raw <= target : raw === target;
  const symbol = cmp === '>=' ? '≥' : cmp === '<=' ? '≤' : '=';
  return {
    scenario,
    metric,
    value: format(raw),
    target: `${symbol} ${format(target)}`,
    status: met ? 'MET' : 'MISSED',
    raw,
  };
}

export function info(scenario: string, metric: string, value: string, raw?: number): ResultRow {
  return { scenario, metric, value, target: '', status: 'info', raw };
}

export function missing(scenario: string, metric: string, why = 'module missing'): ResultRow {
  return { scenario, metric, value: `n/a (${why})`, target: '', status: 'n/a' };
}

export function failed(scenario: string, message: string): ResultRow {
  return {
    scenario,
    metric: 'scenario failed',
    value: message.slice(0, 160),
    target: '',
    status: 'ERROR',
  };
}

export const fmt = {
  int: (n: number) => Math.round(n).toLocaleString('en-US'),
  ms: (n: number) => `${n.toFixed(n < 10 ? 1 : 0)} ms`,
  s: (n: number) => `${(n / 1000).toFixed(2)} s`,
  us: (n: number) => `${n.toFixed(0)} µs`,
  ratio: (n: number) => `${n.toFixed(2)}×`,
  perDoc: (n: number) => n.toFixed(2),
  mb: (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`,
  rps: (n: number) => `${Math.round(n).toLocaleString('en-US')}/s`,
};

/** A plain-text table that survives being pasted into an issue. */
export function renderTable(rows: ResultRow[]): string {
  const head = ['#', 'scenario / metric', 'value', 'target', 'result'];
  const body = rows.map((r) => [
    r.scenario,
    r.metric,
    r.value,
    r.target,
    r.status === 'info' ? '' : r.status,
  ]);
  const all = [head, ...body];
  const widths = head.map((_, i) => Math.max(...all.map((r) => [...r[i]].length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => c + ' '.repeat(widths[i] - [...c].length)).join(' | ');
  const sep = widths.map((w) => '-'.repeat(w)).join('-+-');
  return [line(head), sep, ...body.map(line)].join('\n');
}
