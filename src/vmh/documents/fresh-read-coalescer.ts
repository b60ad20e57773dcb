/**
 * Shares one read among concurrent runs without ever giving a run a value read
 * before that run started. A run takes a ticket when it starts and may use any
 * read of the same key issued after that ticket; otherwise it issues a new one.
 *
 * Why this is as safe as reading alone: whatever a run must see was written
 * before the event that caused the run was enqueued (the collection manager
 * stores `xaiCollectionId` and then enqueues its document storm), so before the
 * run started, so before any read issued after the ticket. Sharing changes the
 * number of requests, never an outcome.
 */
export class FreshReadCoalescer<V> {
  private seq = 0;
  private readonly reads = new Map<string, { issued: number; value: Promise<V> }>();

  /** `maxKeys` bounds memory; only reads newer than a running run's ticket are ever reused. */
  constructor(private readonly maxKeys = 10_000) {}

  /** Taken when a run starts, before it reads anything. */
  ticket(): number {
    return ++this.seq;
  }

  read(key: string, ticket: number, fetch: () => Promise<V>): Promise<V> {
    const latest = this.reads.get(key);
    if (latest && latest.issued > ticket) return latest.value;
    const entry = { issued: ++this.seq, value: (async () => fetch())() };
    this.reads.delete(key);
    this.reads.set(key, entry);
    if (this.reads.size > this.maxKeys) this.reads.delete(this.reads.keys().next().value!);
    // A failed read is not handed to runs that start later; the runs that shared it see the error.
    entry.value.catch(() => {
      if (this.reads.get(key) === entry) this.reads.delete(key);
    });
    return entry.value;
  }
}
