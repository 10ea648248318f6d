import { LRUCache } from 'lru-cache';
import type { Invalidation, L2Store } from './port.js';

export interface CacheStats {
  l1: { hits: number; misses: number };
  l2: { hits: number; misses: number };
  /** Loader calls that actually ran (misses in both layers, after single-flight). */
  loads: number;
  invalidationsReceived: number;
  resets: number;
}

export interface ReadOptions {
  /** L2 lifetime; the L1 copy lives at most `l1TtlMs` (and never longer than this). */
  ttlMs: number;
  /** Skip L1 for data that is only worth sharing (large, read once per process). */
  l1?: boolean;
}

export interface TwoLayerCacheOptions {
  l2: L2Store;
  l1MaxEntries?: number;
  /**
   * Bound on L1 by the JSON size of its values (parsed objects take a few times more heap): a
   * 50,000-employee gather puts ~100 MB of contributions through the cache, and an entry bound
   * alone let a worker's memory grow with the tenant.
   */
  l1MaxBytes?: number;
  l1TtlMs?: number;
  /**
   * How values are kept in L2 (the JSON as is by default). The Redis L2 seals them: gathered records
   * hold SSNs, birth dates and addresses, which must not sit in Redis in the clear.
   */
  l2Codec?: L2Codec;
}

export interface L2Codec {
  encode(key: string, json: string): string;
  /** The JSON back, or null when the stored value cannot be opened (then it is a miss). */
  decode(key: string, stored: string): string | null;
}

const PLAIN: L2Codec = { encode: (_k, json) => json, decode: (_k, stored) => stored };

interface Flight { promise: Promise<unknown>; stale: boolean }

/**
 * L1: a bounded in-process LRU of parsed objects (no JSON on a hit). L2: the shared store of JSON.
 * Reads are read-through with single-flight: concurrent misses for one key share one load.
 * Invalidations delete from L2, then go to every process, each dropping its L1 copies; a load that
 * was in flight when its key was invalidated answers its callers but is not cached. When the
 * invalidation channel reconnects, L1 is flushed whole: what was missed cannot be known.
 */
export class TwoLayerCache {
  private readonly l1: LRUCache<string, { v: unknown }>;
  private readonly l2: L2Store;
  private readonly l1TtlMs: number;
  private readonly codec: L2Codec;
  private readonly flights = new Map<string, Flight>();
  private readonly counters: CacheStats = {
    l1: { hits: 0, misses: 0 }, l2: { hits: 0, misses: 0 }, loads: 0, invalidationsReceived: 0, resets: 0,
  };
  private unsubscribe: (() => Promise<void>) | null = null;

  private constructor(opts: TwoLayerCacheOptions) {
    this.l2 = opts.l2;
    this.l1TtlMs = opts.l1TtlMs ?? 60_000;
    this.codec = opts.l2Codec ?? PLAIN;
    this.l1 = new LRUCache({ max: opts.l1MaxEntries ?? 50_000, maxSize: opts.l1MaxBytes ?? 32 * 1024 * 1024, ttl: this.l1TtlMs, ttlAutopurge: false });
  }

  static async open(opts: TwoLayerCacheOptions): Promise<TwoLayerCache> {
    const cache = new TwoLayerCache(opts);
    cache.unsubscribe = await opts.l2.subscribe({
      onInvalidate: (msg) => {
        cache.counters.invalidationsReceived++;
        cache.dropLocal(msg);
      },
      onReset: () => {
        cache.counters.resets++;
        cache.l1.clear();
      },
    });
    return cache;
  }

  get engine(): L2Store['engine'] {
    return this.l2.engine;
  }

  stats(): CacheStats {
    return structuredClone(this.counters);
  }

  async get<T>(key: string, load: () => Promise<T>, opts: ReadOptions): Promise<T> {
    const got = await this.getMany<T>([key], async () => new Map([[key, await load()]]), opts);
    return got.get(key) as T;
  }

  /**
   * Read-through for many keys at once: one L2 round trip for the L1 misses, one `loadMissing` call
   * for the keys missing from both (it may omit keys it has no value for: those are not cached).
   */
  async getMany<T>(keys: readonly string[], loadMissing: (keys: string[]) => Promise<Map<string, T>>, opts: ReadOptions): Promise<Map<string, T>> {
    const out = new Map<string, T>();
    const waits: Array<Promise<void>> = [];
    const needL2: string[] = [];
    for (const key of new Set(keys)) {
      const hit = opts.l1 === false ? undefined : this.l1.get(key);
      if (hit) {
        this.counters.l1.hits++;
        out.set(key, hit.v as T);
        continue;
      }
      if (opts.l1 !== false) this.counters.l1.misses++;
      const flight = this.flights.get(key);
      if (flight) waits.push(flight.promise.then((v) => { if (v !== undefined) out.set(key, v as T); }));
      else needL2.push(key);
    }
    if (needL2.length) {
      // Register the flights before the first await so concurrent callers join them.
      let settle!: (m: Map<string, T>) => void;
      let fail!: (e: unknown) => void;
      const batch = new Promise<Map<string, T>>((res, rej) => { settle = res; fail = rej; });
      batch.catch(() => {});
      for (const key of needL2) {
        // Each key's promise rejects with the batch; one nobody joined must not be an unhandled rejection.
        const promise = batch.then((m) => m.get(key));
        promise.catch(() => {});
        this.flights.set(key, { promise, stale: false });
      }
      try {
        const found = await this.readL2Then<T>(needL2, loadMissing, opts);
        settle(found);
        for (const [k, v] of found) out.set(k, v);
      } catch (e) {
        fail(e);
        throw e;
      } finally {
        for (const key of needL2) this.flights.delete(key);
      }
    }
    await Promise.all(waits);
    return out;
  }

  private async readL2Then<T>(keys: string[], loadMissing: (keys: string[]) => Promise<Map<string, T>>, opts: ReadOptions): Promise<Map<string, T>> {
    const found = new Map<string, T>();
    const raw = await this.l2.getMany(keys);
    const missing: string[] = [];
    keys.forEach((key, i) => {
      const text = this.fromL2(key, raw[i]);
      if (text == null) {
        this.counters.l2.misses++;
        missing.push(key);
        return;
      }
      this.counters.l2.hits++;
      const v = JSON.parse(text) as T;
      found.set(key, v);
      this.putL1(key, v, opts, text.length);
    });
    if (missing.length) {
      this.counters.loads++;
      const loaded = await loadMissing(missing);
      const writes: Array<{ key: string; value: string; ttlMs: number }> = [];
      for (const key of missing) {
        if (!loaded.has(key)) continue;
        const v = loaded.get(key) as T;
        found.set(key, v);
        if (this.flights.get(key)?.stale) continue;
        const value = JSON.stringify(v);
        writes.push({ key, value: this.codec.encode(key, value), ttlMs: opts.ttlMs });
        this.putL1(key, v, opts, value.length);
      }
      if (writes.length) await this.l2.setMany(writes);
    }
    return found;
  }

  /** Writes through both layers. */
  async setMany(entries: ReadonlyArray<{ key: string; value: unknown }>, opts: ReadOptions): Promise<void> {
    const json = entries.map(({ value }) => JSON.stringify(value));
    entries.forEach(({ key, value }, i) => this.putL1(key, value, opts, json[i]!.length));
    await this.l2.setMany(entries.map(({ key }, i) => ({ key, value: this.codec.encode(key, json[i]!), ttlMs: opts.ttlMs })));
  }

  /**
   * Peeks at both layers without loading (counted like a read). Nothing is loaded, so there is no
   * flight to share or join: one L2 read for the L1 misses, no promise per key (a gather peeks at
   * every employee of a batch).
   */
  async peekMany<T>(keys: readonly string[], opts: ReadOptions): Promise<Map<string, T>> {
    const out = new Map<string, T>();
    const needL2: string[] = [];
    for (const key of new Set(keys)) {
      if (opts.l1 !== false) {
        const hit = this.l1.get(key);
        if (hit) {
          this.counters.l1.hits++;
          out.set(key, hit.v as T);
          continue;
        }
        this.counters.l1.misses++;
      }
      needL2.push(key);
    }
    if (needL2.length === 0) return out;
    const raw = await this.l2.getMany(needL2);
    for (let i = 0; i < needL2.length; i++) {
      const text = this.fromL2(needL2[i]!, raw[i]);
      if (text == null) {
        this.counters.l2.misses++;
        continue;
      }
      this.counters.l2.hits++;
      const v = JSON.parse(text) as T;
      out.set(needL2[i]!, v);
      this.putL1(needL2[i]!, v, opts, text.length);
    }
    return out;
  }

  async invalidate(key: string): Promise<void> {
    await this.broadcast({ kind: 'key', value: key }, () => this.l2.delete([key]));
  }

  async invalidatePrefix(prefix: string): Promise<void> {
    await this.broadcast({ kind: 'prefix', value: prefix }, () => this.l2.deletePrefix(prefix));
  }

  private async broadcast(msg: Invalidation, deleteShared: () => Promise<unknown>): Promise<void> {
    this.dropLocal(msg);
    await deleteShared();
    await this.l2.publish(msg);
  }

  private dropLocal(msg: Invalidation): void {
    const matches = (k: string) => (msg.kind === 'key' ? k === msg.value : k.startsWith(msg.value));
    if (msg.kind === 'key') this.l1.delete(msg.value);
    else for (const k of [...this.l1.keys()]) if (matches(k)) this.l1.delete(k);
    for (const [k, f] of this.flights) if (matches(k)) f.stale = true;
  }

  private fromL2(key: string, stored: string | null | undefined): string | null {
    if (stored == null) return null;
    return this.codec.decode(key, stored);
  }

  private putL1(key: string, v: unknown, opts: ReadOptions, jsonBytes: number): void {
    if (opts.l1 === false) return;
    this.l1.set(key, { v }, { ttl: Math.min(this.l1TtlMs, opts.ttlMs), size: Math.max(1, jsonBytes) });
  }

  /** Drops this process's L1 (a new process would start with an empty one). */
  clearLocal(): void {
    this.l1.clear();
  }

  async close(): Promise<void> {
    await this.unsubscribe?.();
    this.unsubscribe = null;
    this.l1.clear();
  }
}
