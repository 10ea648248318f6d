import { createMemoryStore } from './memory-store.js';
import type { L2Store } from './port.js';
import { createRedisStore } from './redis-store.js';
import { TwoLayerCache, type L2Codec } from './two-layer-cache.js';
import type { PiiCipher } from '../../security/pii-cipher.js';

export type CacheTarget = { engine: 'memory' } | { engine: 'redis'; url: string; namespace: string };

export interface CacheEngine {
  cache: TwoLayerCache;
  close(): Promise<void>;
}

/** Opens the L2 store for the target and the two-layer cache over it; `close` releases both. */
export async function openCache(target: CacheTarget, opts: { l1MaxEntries?: number; l1MaxBytes?: number; l1TtlMs?: number; seal?: PiiCipher } = {}): Promise<CacheEngine> {
  const { seal, ...sizes } = opts;
  const l2: L2Store = target.engine === 'redis'
    ? await createRedisStore({ url: target.url, namespace: target.namespace })
    : createMemoryStore();
  try {
    // What leaves the process is sealed (AES-256-GCM, the key as associated data so a value cannot be
    // moved to another key); the embedded L2 lives in this process's memory like L1.
    const codec = target.engine === 'redis' && seal ? sealedCodec(seal) : undefined;
    const cache = await TwoLayerCache.open({ l2, ...sizes, ...(codec ? { l2Codec: codec } : {}) });
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

function sealedCodec(cipher: PiiCipher): L2Codec {
  return {
    encode: (key, json) => Buffer.from(cipher.sealText(key, json)).toString('base64'),
    decode: (key, stored) => {
      try {
        return cipher.openText(key, Buffer.from(stored, 'base64'));
      } catch {
        return null; // sealed under another key (rotated) or not sealed: a miss, loaded again
      }
    },
  };
}
