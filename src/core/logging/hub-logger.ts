import { ConsoleLogger, type LogLevel } from '@nestjs/common';
import { currentTraceId } from '../trace/trace-context.js';

const LEVELS: LogLevel[] = ['fatal', 'error', 'warn', 'log', 'verbose', 'debug'];

/** Levels from `min` upward in severity, e.g. 'log' → fatal, error, warn, log. */
export function levelsFrom(min: string): LogLevel[] {
  const idx = LEVELS.indexOf(min as LogLevel);
  return LEVELS.slice(0, idx < 0 ? LEVELS.indexOf('log') + 1 : idx + 1);
}

/**
 * Nest's ConsoleLogger (JSON for journald in production, readable text in
 * development) plus two things it lacks: the trace id of the current flow on
 * every line, and masking of every configured secret by value — a secret can
 * reach a log through an error message or a URL, where key-based redaction does
 * not look.
 */
export class HubLogger extends ConsoleLogger {
  private readonly secretPattern?: RegExp;

  constructor(options: { json: boolean; level: string; secrets: string[] }) {
    super({
      json: options.json,
      colors: !options.json && process.stdout.isTTY,
      logLevels: levelsFrom(options.level),
    });
    this.secretPattern = secretPattern(options.secrets);
  }

  /** Every configured secret in `text` (raw, or as it reads inside a JSON string) replaced. */
  mask(text: string): string {
    return this.secretPattern ? text.replace(this.secretPattern, REDACTED) : text;
  }

  protected override printMessages(
    messages: unknown[],
    context?: string,
    logLevel?: LogLevel,
    writeStreamType?: 'stdout' | 'stderr',
    errorStack?: unknown,
    params?: Record<string, unknown>,
  ): void {
    const traceId = currentTraceId();
    const withTrace = traceId ? { ...(params ?? {}), traceId } : params;
    if (!this.secretPattern) {
      super.printMessages(messages, context, logLevel, writeStreamType, errorStack, withTrace);
      return;
    }
    // Masked while still values: once serialised, a secret holding a quote, a backslash
    // or a newline (a PEM key) is escaped and no longer matches itself.
    super.printMessages(
      messages.map((m) => this.maskValue(m, 0)),
      context,
      logLevel,
      writeStreamType,
      this.maskValue(errorStack, 0),
      withTrace && (this.maskValue(withTrace, 0) as Record<string, unknown>),
    );
  }

  // The serialised text is masked again: the escaped forms are in the pattern as well.
  protected override formatMessage(...args: Parameters<ConsoleLogger['formatMessage']>): string {
    return this.mask(super.formatMessage(...args));
  }

  protected override stringifyJsonLogObject(logObject: Record<string, unknown>): string {
    return this.mask(super.stringifyJsonLogObject(logObject));
  }

  protected override printStackTrace(stack: string): void {
    super.printStackTrace(typeof stack === 'string' ? this.mask(stack) : stack);
  }

  /** A copy with every string masked: plain objects, arrays and errors, a few levels deep. */
  private maskValue(value: unknown, depth: number): unknown {
    if (typeof value === 'string') return this.mask(value);
    if (value === null || typeof value !== 'object' || depth > MAX_MASK_DEPTH) return value;
    if (Array.isArray(value)) return value.map((v) => this.maskValue(v, depth + 1));
    if (value instanceof Error) {
      const copy = new Error(this.mask(value.message));
      copy.name = value.name;
      copy.stack = value.stack === undefined ? undefined : this.mask(value.stack);
      for (const [k, v] of Object.entries(value))
        (copy as unknown as Record<string, unknown>)[k] = this.maskValue(v, depth + 1);
      if (value.cause !== undefined) copy.cause = this.maskValue(value.cause, depth + 1);
      return copy;
    }
    const proto = Object.getPrototypeOf(value) as unknown;
    if (proto !== Object.prototype && proto !== null) return value; // Buffers, Dates, class instances: as they are
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = this.maskValue(v, depth + 1);
    return out;
  }
}

const REDACTED = '[REDACTED]';
const MAX_MASK_DEPTH = 8;

/**
 * One pattern for all secrets, each also in the forms serialisation gives it: inside a
 * JSON string (`"` → `\"`, `\` → `\\`, newline → `\n`) and, for a PEM key, with the
 * `\n` escapes an environment file holds. Longest first, so a secret containing
 * another is masked whole.
 */
export function secretPattern(secrets: readonly string[]): RegExp | undefined {
  const forms = new Set<string>();
  for (const s of secrets) {
    if (s.length === 0) continue;
    forms.add(s);
    forms.add(JSON.stringify(s).slice(1, -1));
    forms.add(s.replace(/\r?\n/g, '\\n'));
    // Twice escaped: a JSON body carried inside a JSON log line.
    forms.add(JSON.stringify(JSON.stringify(s).slice(1, -1)).slice(1, -1));
  }
  if (forms.size === 0) return undefined;
  const sorted = [...forms].sort((a, b) => b.length - a.length);
  return new RegExp(sorted.map(escapeRegExp).join('|'), 'g');
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
