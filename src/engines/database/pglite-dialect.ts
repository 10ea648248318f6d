import type { PGlite } from '@electric-sql/pglite';
import {
  CompiledQuery,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type Kysely,
  type QueryResult,
} from 'kysely';

/**
 * Kysely dialect over PGlite. PGlite has exactly one connection, so the driver hands it out under a
 * FIFO lock: a transaction owns it until commit/rollback and every other query queues behind it
 * (queueing, not deadlock — the port forbids nested units of work, the one way to wait on oneself).
 */
export class PGliteDialect implements Dialect {
  /** `onDestroy` runs after PGlite has closed (releases the data directory's lock). */
  constructor(private readonly pg: PGlite, private readonly onDestroy: () => void = () => {}) {}
  createAdapter() { return new PostgresAdapter(); }
  createDriver(): Driver { return new PGliteDriver(this.pg, this.onDestroy); }
  createQueryCompiler() { return new PostgresQueryCompiler(); }
  createIntrospector(db: Kysely<any>) { return new PostgresIntrospector(db); }
}

class FifoLock {
  private tail: Promise<void> = Promise.resolve();
  acquire(): Promise<() => void> {
    let release!: () => void;
    const next = new Promise<void>((r) => (release = r));
    const ready = this.tail.then(() => release);
    this.tail = this.tail.then(() => next);
    return ready;
  }
}

class PGliteDriver implements Driver {
  private readonly lock = new FifoLock();
  private readonly releases = new WeakMap<DatabaseConnection, () => void>();
  constructor(private readonly pg: PGlite, private readonly onDestroy: () => void) {}

  async init(): Promise<void> {
    await this.pg.waitReady;
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    const release = await this.lock.acquire();
    const connection = new PGliteConnection(this.pg);
    this.releases.set(connection, release);
    return connection;
  }

  // Transaction control goes as a simple query: through the extended protocol (parse, bind, describe,
  // execute) BEGIN + COMMIT cost 0.41 ms of this thread per unit of work, as simple queries 0.25 ms
  // (measured on one-row updates, where they were 40 % of the unit of work).
  async beginTransaction(c: DatabaseConnection): Promise<void> {
    await (c as PGliteConnection).exec('begin');
  }
  async commitTransaction(c: DatabaseConnection): Promise<void> {
    await (c as PGliteConnection).exec('commit');
  }
  async rollbackTransaction(c: DatabaseConnection): Promise<void> {
    await (c as PGliteConnection).exec('rollback');
  }
  async releaseConnection(c: DatabaseConnection): Promise<void> {
    this.releases.get(c)?.();
    this.releases.delete(c);
  }
  async destroy(): Promise<void> {
    if (!this.pg.closed) await this.pg.close();
    this.onDestroy();
  }
}

class PGliteConnection implements DatabaseConnection {
  constructor(private readonly pg: PGlite) {}
  async exec(sql: string): Promise<void> {
    await this.pg.exec(sql);
  }
  async executeQuery<R>(q: CompiledQuery): Promise<QueryResult<R>> {
    const res = await this.pg.query<R>(q.sql, q.parameters as unknown[]);
    return {
      rows: res.rows,
      numAffectedRows: res.affectedRows === undefined ? undefined : BigInt(res.affectedRows),
    };
  }
  // eslint-disable-next-line require-yield
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('PGlite: streaming queries are not supported; read keyset pages instead');
  }
}
