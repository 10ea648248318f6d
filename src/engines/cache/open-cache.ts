import { createMemoryStore } from './memory-store.js';
import type { L2Store } from './port.js';
import { createRedisStore } from './redis-store.js';
import { TwoLayerCache } from './two-layer-cache.js';

export type CacheTarget = { engine: 'memory' } | { engine: 'redis'; url: string; namespace: string };

export interface CacheEngine {
  cache: TwoLayerCache;
  close(): Promise<void>;
}

/** Opens the L2 store for the target and the two-layer cache over it; `close` releases both. */
export async function openCache(target: CacheTarget, opts: { l1MaxEntries?: number; l1MaxBytes?: number; l1TtlMs?: number } = {}): Promise<CacheEngine> {
  const l2: L2Store = target.engine === 'redis'
    ? await createRedisStore({ url: target.url, namespace: target.namespace })
    : createMemoryStore();
  try {
    const cache = await TwoLayerCache.open({ l2, ...opts });
    return {
      cache,
      async close() {
        await cache.close();
        await l2.close();
      },
    };
  } catch (e) {
    await l2.close();
    throw e;
  }
}
