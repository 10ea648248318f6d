import type { Invalidation, InvalidationListener, L2Store } from './port.js';

/**
 * The embedded L2: a map with expiry times in this process. Every cache opened on the same store
 * shares it and hears its invalidations, which is all "every process" means with one process.
 */
export function createMemoryStore(opts: { maxEntries?: number; now?: () => number } = {}): L2Store {
  const now = opts.now ?? Date.now;
  const maxEntries = opts.maxEntries ?? 1_000_000;
  const entries = new Map<string, { value: string; expiresAt: number }>();
  const listeners = new Set<InvalidationListener>();

  const live = (key: string): string | null => {
    const e = entries.get(key);
    if (!e) return null;
    if (e.expiresAt <= now()) {
      entries.delete(key);
      return null;
    }
    return e.value;
  };

  return {
    engine: 'memory',
    async getMany(keys) {
      return keys.map(live);
    },
    async setMany(list) {
      for (const { key, value, ttlMs } of list) {
        entries.delete(key); // re-inserting keeps Map order = age order for eviction
        entries.set(key, { value, expiresAt: now() + ttlMs });
      }
      // Bounded: evict the oldest writes first.
      for (const key of entries.keys()) {
        if (entries.size <= maxEntries) break;
        entries.delete(key);
      }
    },
    async delete(keys) {
      for (const k of keys) entries.delete(k);
    },
    async deletePrefix(prefix) {
      let n = 0;
      for (const k of entries.keys()) if (k.startsWith(prefix) && entries.delete(k)) n++;
      return n;
    },
    async publish(msg: Invalidation) {
      for (const l of [...listeners]) l.onInvalidate(msg);
    },
    async subscribe(listener) {
      listeners.add(listener);
      return async () => { listeners.delete(listener); };
    },
    async close() {
      entries.clear();
      listeners.clear();
    },
  };
}
