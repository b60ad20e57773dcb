import type { Logger } from '@nestjs/common';

/**
 * The `.catch` for Bull's `queue.process(...)` promise, which only settles when the worker
 * stops: it rejects when the queue's Redis connections close under a worker that is still
 * starting (an app closed during boot). Left unhandled, that rejection ends the process.
 * Bull rejects with `undefined` when the blocking connection ends before it was ready.
 */
export function processingStopped(logger: Logger, queue: string): (err: unknown) => void {
  return (err) =>
    logger.warn(
      `queue ${queue} stopped processing: ${err instanceof Error ? err.message : 'its Redis connection closed'}`,
    );
}
