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
    const secrets = [...new Set(options.secrets)].sort((a, b) => b.length - a.length);
    if (secrets.length > 0) {
      this.secretPattern = new RegExp(secrets.map(escapeRegExp).join('|'), 'g');
    }
  }

  mask(text: string): string {
    return this.secretPattern ? text.replace(this.secretPattern, '[REDACTED]') : text;
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
    super.printMessages(messages, context, logLevel, writeStreamType, errorStack, withTrace);
  }

  protected override formatMessage(...args: Parameters<ConsoleLogger['formatMessage']>): string {
    return this.mask(super.formatMessage(...args));
  }

  protected override stringifyJsonLogObject(logObject: Record<string, unknown>): string {
    return this.mask(super.stringifyJsonLogObject(logObject));
  }

  protected override printStackTrace(stack: string): void {
    super.printStackTrace(typeof stack === 'string' ? this.mask(stack) : stack);
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
