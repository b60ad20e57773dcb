/**
 * Thrown where a shadow run would create a record whose id its next call needs
 * (shadow-policy.ts). The worker ends the job as completed: the run did everything
 * a live run would have done up to here, and the record says what came next.
 * Not an UpstreamError, so no retry policy or in-call retry ever repeats it.
 */
export class ShadowStop extends Error {
  readonly shadowStop = true;

  constructor(
    readonly system: string,
    readonly method: string,
    readonly path: string,
  ) {
    super(`shadow mode: would create via ${system} ${method} ${path}, then stop this run`);
    this.name = 'ShadowStop';
  }
}

export function isShadowStop(err: unknown): err is ShadowStop {
  return err instanceof ShadowStop;
}
