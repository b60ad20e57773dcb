/**
 * The doctor's vocabulary: one check, one line. A check never throws; whatever goes
 * wrong inside it becomes a failed line naming the broken piece and its fix.
 */
export type CheckStatus = 'ok' | 'fail' | 'warn';

export interface CheckResult {
  /** What was checked, e.g. "Advoware token". Names the system first. */
  name: string;
  status: CheckStatus;
  /** What was seen (never a secret value). */
  detail: string;
  /** What to do about it; shown for failures and warnings. */
  fix?: string;
}

export const ok = (name: string, detail: string): CheckResult => ({ name, status: 'ok', detail });
export const fail = (name: string, detail: string, fix: string): CheckResult => ({
  name,
  status: 'fail',
  detail,
  fix,
});
export const warn = (name: string, detail: string, fix?: string): CheckResult => ({
  name,
  status: 'warn',
  detail,
  fix,
});

const MARK: Record<CheckStatus, string> = { ok: '✓', fail: '✗', warn: '!' };

/** `✓ Redis reachable: PONG from 127.0.0.1:6379`, and for the others `  → fix`. */
export function formatResult(r: CheckResult): string {
  const line = `${MARK[r.status]} ${r.name}: ${r.detail}`;
  return r.fix && r.status !== 'ok' ? `${line}\n    → ${r.fix}` : line;
}

/** Non-zero as soon as one check failed; warnings alone pass. */
export function exitCodeOf(results: readonly CheckResult[]): number {
  return results.some((r) => r.status === 'fail') ? 1 : 0;
}

export function summaryOf(results: readonly CheckResult[]): string {
  const n = (s: CheckStatus) => results.filter((r) => r.status === s).length;
  return `${results.length} checks: ${n('ok')} ok, ${n('warn')} warnings, ${n('fail')} failed`;
}

/** The message of whatever a client threw, with the upstream status when there is one. */
export function describeError(err: unknown): string {
  if (err instanceof Error) {
    const status = (err as { status?: unknown }).status;
    const reason = (err as { reason?: unknown }).reason;
    const parts = [err.message];
    if (typeof status === 'number' && !err.message.includes(String(status)))
      parts.push(`status ${status}`);
    if (typeof reason === 'string' && reason && !err.message.includes(reason)) parts.push(reason);
    return parts.join(', ');
  }
  return String(err);
}
