/**
 * The L2 cache port: a shared key/value store of JSON strings with TTLs, and a broadcast channel for
 * invalidations. Embedded: one process's memory. Distributed: Redis, invalidations over pub/sub.
 * No Redis type crosses this boundary.
 */
export interface Invalidation {
  kind: 'key' | 'prefix';
  value: string;
}

export interface InvalidationListener {
  onInvalidate(msg: Invalidation): void;
  /** The channel was (re)connected: messages may have been missed, so local copies are suspect. */
  onReset(): void;
}

export interface L2Store {
  readonly engine: 'memory' | 'redis';
  getMany(keys: readonly string[]): Promise<Array<string | null>>;
  setMany(entries: ReadonlyArray<{ key: string; value: string; ttlMs: number }>): Promise<void>;
  delete(keys: readonly string[]): Promise<void>;
  deletePrefix(prefix: string): Promise<number>;
  /** Delivered to every subscriber in every process (this one included). */
  publish(msg: Invalidation): Promise<void>;
  subscribe(listener: InvalidationListener): Promise<() => Promise<void>>;
  close(): Promise<void>;
}
