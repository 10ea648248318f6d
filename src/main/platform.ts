import { join, resolve } from 'node:path';
import type { Config } from '../config/schema.js';
import { openDatabase, type DatabaseTarget } from '../engines/database/open-database.js';
import type { Database } from '../engines/database/port.js';
import { checkRedisReachable } from '../engines/redis-check.js';
import { loadPiiCipher, type PiiCipher } from '../security/pii-cipher.js';

/**
 * Everything a process role needs, with the engines chosen once from configuration. This (with the
 * entries beside it) is the only code that knows which engine is underneath.
 */
export interface Platform {
  config: Config;
  home: string;
  db: Database;
  pii: PiiCipher;
  close(): Promise<void>;
}

export function databaseTarget(config: Config): DatabaseTarget {
  return config.database.url
    ? { engine: 'postgres', url: config.database.url, poolSize: config.database.poolSize }
    : { engine: 'pglite', dataDir: join(resolve(config.home), 'pgdata') };
}

export async function openPlatform(config: Config): Promise<Platform> {
  const home = resolve(config.home);
  if (config.redis.url) await checkRedisReachable(config.redis.url);
  const db = await openDatabase(databaseTarget(config));
  try {
    await db.migrate();
    const pii = loadPiiCipher({ home, keyRef: config.security.piiKey, persistent: !config.database.url });
    return {
      config, home, db, pii,
      async close() {
        await db.close();
      },
    };
  } catch (e) {
    await db.close();
    throw e;
  }
}
