/**
 * Linked entities' collection ids, kept per process between document runs and
 * trusted only while the collection generation is the one they were read under.
 *
 * Why this is as safe as reading every time: the collection manager is the only
 * writer of an entity's `xaiCollectionId`, and it bumps the generation (in Redis,
 * shared by every hub instance) after the write and before it enqueues its
 * document storm. A run observes the generation when it starts, so any write
 * that happened before its event was enqueued has already moved the generation
 * away from every value read before that write. A hand edit of `xaiCollectionId`
 * in EspoCRM does not bump it and is not supported; the age limit bounds how long
 * such an edit (or a lost bump) can go unseen.
 */
export class CollectionIdCache<V> {
  private readonly entries = new Map<string, { generation: string; readAt: number; value: V }>();

  constructor(
    private readonly maxAgeMs = 10 * 60_000,
    private readonly maxKeys = 10_000,
  ) {}

  /** The value read under `generation`, or undefined (then read it). Without a generation nothing is trusted. */
  get(key: string, generation: string | null, now: number): { value: V } | undefined {
    if (generation === null) return undefined;
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (e.generation !== generation || now - e.readAt > this.maxAgeMs) {
      this.entries.delete(key);
      return undefined;
    }
    return { value: e.value };
  }

  /** `generation` must have been observed before the read that produced `value` was issued. */
  set(key: string, generation: string | null, value: V, now: number): void {
    if (generation === null) return;
    this.entries.delete(key);
    this.entries.set(key, { generation, readAt: now, value });
    if (this.entries.size > this.maxKeys) this.entries.delete(this.entries.keys().next().value!);
  }

  /** Drops a value found wrong (its collection is gone on the xAI side). */
  forget(key: string): void {
    this.entries.delete(key);
  }
}
