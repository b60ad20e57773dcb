import { createWriteStream, type WriteStream } from 'node:fs';
import type { LogLevel } from '@nestjs/common';
import type { AppConfig } from '../../../src/config/app-config.js';
import { HubLogger } from '../../../src/core/logging/hub-logger.js';

type Write = typeof process.stdout.write;

/**
 * The hub's own logger, unchanged, except that what it would write to stdout/stderr
 * goes to a file instead: the in-process half of the secret scan reads exactly the
 * bytes production would print (after HubLogger's masking), and Jest's output stays
 * readable.
 */
export class RecordingLogger extends HubLogger {
  private readonly out: WriteStream;
  bytes = 0;

  constructor(config: AppConfig, file: string) {
    super({ json: config.log.format === 'json', level: config.log.level, secrets: config.secrets });
    this.out = createWriteStream(file, { flags: 'a' });
  }

  protected override printMessages(
    messages: unknown[],
    context?: string,
    logLevel?: LogLevel,
    writeStreamType?: 'stdout' | 'stderr',
    errorStack?: unknown,
    params?: Record<string, unknown>,
  ): void {
    this.capture(() =>
      super.printMessages(messages, context, logLevel, writeStreamType, errorStack, params),
    );
  }

  protected override printStackTrace(stack: string): void {
    this.capture(() => super.printStackTrace(stack));
  }

  close(): Promise<void> {
    return new Promise((done) => this.out.end(() => done()));
  }

  /** Synchronous, so only this logger's own writes happen while the streams are swapped. */
  private capture(print: () => void): void {
    const stdout = process.stdout.write;
    const stderr = process.stderr.write;
    const record = ((chunk: string | Uint8Array) => {
      this.bytes += chunk.length;
      this.out.write(chunk);
      return true;
    }) as Write;
    process.stdout.write = record;
    process.stderr.write = record;
    try {
      print();
    } finally {
      process.stdout.write = stdout;
      process.stderr.write = stderr;
    }
  }
}
