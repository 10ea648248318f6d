import type { Invalidation, InvalidationListener, L2Store } from './port.js';

/**
 * The embedded L2: a map with expiry times in this process. Every cache opened on the same store
 * shares it and hears its invalidations, which is all "every process" means with one process.
 * Bounded by entries and by the characters of its values (128 Mi by default): unbounded, a
 * 100,000-employee gather left ~0.4 GB of JSON in the embedded process.
 */
export function createMemoryStore(opts: { maxEntries?: number; maxChars?: number; now?: () => number } = {}): L2Store {
  const now = opts.now ?? Date.now;
  const maxEntries = opts.maxEntries ?? 1_000_000;
  const maxChars = opts.maxChars ?? 128 * 1024 * 1024;
  const entries = new Map<string, { value: string; expiresAt: number }>();
  let chars = 0;
  const remove = (key: string): boolean => {
    const e = entries.get(key);
    if (!e) return false;
    chars -= e.value.length;
    return entries.delete(key);
  };
  const listeners = new Set<InvalidationListener>();

  const live = (key: string): string | null => {
    const e = entries.get(key);
    if (!e) return null;
    if (e.expiresAt <= now()) {
      remove(key);
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
        remove(key); // re-inserting keeps Map order = age order for eviction
        entries.set(key, { value, expiresAt: now() + ttlMs });
        chars += value.length;
      }
      // Bounded: evict the oldest writes first.
      for (const key of entries.keys()) {
        if (entries.size <= maxEntries && chars <= maxChars) break;
        remove(key);
      }
    },
    async delete(keys) {
      for (const k of keys) remove(k);
    },
    async deletePrefix(prefix) {
      let n = 0;
      for (const k of [...entries.keys()]) if (k.startsWith(prefix) && remove(k)) n++;
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
      chars = 0;
      listeners.clear();
    },
  };
}
