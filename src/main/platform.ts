import { join, resolve } from 'node:path';
import type { Config } from '../config/schema.js';
import { openDatabase, type DatabaseTarget } from '../engines/database/open-database.js';
import type { Database } from '../engines/database/port.js';
import { openCache, type CacheEngine, type CacheTarget } from '../engines/cache/open-cache.js';
import type { TwoLayerCache } from '../engines/cache/two-layer-cache.js';
import { checkRedisReachable } from '../engines/redis-check.js';
import { openQueue, type QueueTarget } from '../engines/queue/open-queue.js';
import type { QueueEngine } from '../engines/queue/port.js';
import { createLogger, type Logger } from '../observe/logger.js';
import { createSessionPool, type SessionPool } from '../pipeline/deliver/session-pool.js';
import { assertSealedWith, loadPiiCipher, type PiiCipher } from '../security/pii-cipher.js';

/**
 * Everything a process role needs, with the engines chosen once from configuration. This (with the
 * entries beside it) is the only code that knows which engine is underneath.
 */
export interface Platform {
  config: Config;
  home: string;
  db: Database;
  pii: PiiCipher;
  log: Logger;
  /** Job dispatch: in-process, or BullMQ when redis.url is set. Processes that run jobs call `queue.work`. */
  queue: QueueEngine;
  /** Two-layer cache: in-process LRU over Redis when redis.url is set, else over an in-memory L2. */
  cache: TwoLayerCache;
  /** Vendor SFTP sessions, reused across files (pinned host keys); for deliverFile / pollInbox. */
  sessions: SessionPool;
  close(): Promise<void>;
}

const PII_FINGERPRINT = 'pii_key_fingerprint';

export function databaseTarget(config: Config): DatabaseTarget {
  return config.database.url
    // A transaction idle for a whole lease belongs to a worker that stalled: its lease is gone anyway,
    // and its row locks would otherwise block the worker that took the lease over.
    ? { engine: 'postgres', url: config.database.url, poolSize: config.database.poolSize, idleInTransactionTimeoutMs: config.cycles.leaseMs }
    : { engine: 'pglite', dataDir: join(resolve(config.home), 'pgdata') };
}

export function queueTarget(config: Config): QueueTarget {
  const { concurrency, attempts, backoffMs, maxBackoffMs, lockDurationMs, stalledIntervalMs, maxStalledCount } = config.queue;
  const common = { concurrency, attempts, backoffMs, maxBackoffMs };
  return config.redis.url
    ? { engine: 'bullmq', ...common, url: config.redis.url, prefix: config.redis.keyPrefix, lockDurationMs, stalledIntervalMs, maxStalledCount }
    : { engine: 'in-process', ...common };
}

export function cacheTarget(config: Config): CacheTarget {
  return config.redis.url
    ? { engine: 'redis', url: config.redis.url, namespace: `${config.redis.keyPrefix}:cache:` }
    : { engine: 'memory' };
}

export async function openPlatform(config: Config): Promise<Platform> {
  const home = resolve(config.home);
  if (config.redis.url) await checkRedisReachable(config.redis.url);
  const db = await openDatabase(databaseTarget(config));
  try {
    await db.migrate();
    const sealedWith = await db.unitOfWork((r) => r.platformSettings.get(PII_FINGERPRINT));
    const pii = loadPiiCipher({ home, keyRef: config.security.piiKey, persistent: !config.database.url, sealedWith });
    // Two processes starting at once with different keys: the first to record its key wins, the other stops.
    const recorded = await db.unitOfWork((r) => r.platformSettings.setIfAbsent(PII_FINGERPRINT, pii.fingerprint));
    assertSealedWith(pii, recorded);
    const queue = openQueue(queueTarget(config));
    let cacheEngine: CacheEngine;
    try {
      cacheEngine = await openCache(cacheTarget(config), { seal: pii });
    } catch (e) {
      await queue.close();
      throw e;
    }
    const sessions = createSessionPool();
    return {
      config, home, db, pii, queue, log: createLogger({ level: config.log.level }), cache: cacheEngine.cache, sessions,
      async close() {
        await queue.close();
        await sessions.close();
        await cacheEngine.close();
        await db.close();
      },
    };
  } catch (e) {
    await db.close();
    throw e;
  }
}
