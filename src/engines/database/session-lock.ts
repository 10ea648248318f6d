import { createHash } from 'node:crypto';
import pg from 'pg';

/**
 * A named lock held by a database session of its own. On PostgreSQL it is a session-level advisory
 * lock on a dedicated connection (never a pooled one: a pool would hand the session to other work
 * and could drop it while idle), so a process that dies — or whose connection is closed — releases
 * it with its connection and another process can take over.
 */
export interface SessionLock {
  /** A round trip on the lock's own connection: false once the connection (and with it the lock) is gone. */
  check(): Promise<boolean>;
  /** Releases the lock and closes its connection; idempotent. */
  release(): Promise<void>;
}

export type TryLock = (name: string) => Promise<SessionLock | null>;

/** The two int4 keys of `pg_try_advisory_lock(int, int)` for a name: stable across processes and versions. */
export function advisoryKeys(name: string): [number, number] {
  const h = createHash('sha256').update(`vendorflow:${name}`).digest();
  return [h.readInt32BE(0), h.readInt32BE(4)];
}

export function postgresSessionLocks(url: string): TryLock {
  return async (name) => {
    const [k1, k2] = advisoryKeys(name);
    const client = new pg.Client({
      connectionString: url, keepAlive: true, connectionTimeoutMillis: 5000, query_timeout: 5000,
      application_name: `vendorflow-lock:${name}`.slice(0, 63),
    });
    let lost = false;
    // A lost connection must not crash the process: it only means the lock is gone.
    client.on('error', () => { lost = true; });
    client.on('end', () => { lost = true; });
    await client.connect();
    try {
      const r = await client.query<{ ok: boolean }>('select pg_try_advisory_lock($1::int, $2::int) as ok', [k1, k2]);
      if (!r.rows[0]?.ok) {
        await client.end().catch(() => {});
        return null;
      }
    } catch (e) {
      await client.end().catch(() => {});
      throw e;
    }
    let released = false;
    return {
      async check() {
        if (lost || released) return false;
        try {
          await client.query('select 1');
          return !lost;
        } catch {
          lost = true;
          await client.end().catch(() => {});
          return false;
        }
      },
      async release() {
        if (released) return;
        released = true;
        if (!lost) await client.query('select pg_advisory_unlock($1::int, $2::int)', [k1, k2]).catch(() => {});
        await client.end().catch(() => {});
      },
    };
  };
}

/**
 * PGlite: the data directory is locked to one process, so the lock only has to exclude other holders
 * within this process (two schedulers started by mistake in one process still run one at a time).
 */
export function inProcessSessionLocks(): TryLock {
  const held = new Set<string>();
  return async (name) => {
    if (held.has(name)) return null;
    held.add(name);
    let released = false;
    return {
      async check() { return !released; },
      async release() {
        if (released) return;
        released = true;
        held.delete(name);
      },
    };
  };
}
