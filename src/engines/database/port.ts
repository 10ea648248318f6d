import type { Repositories } from './repositories/index.js';
import type { SessionLock } from './session-lock.js';

/**
 * The database port. The only way in is a unit of work: the callback receives repositories bound
 * to one transaction, committed when it resolves and rolled back when it throws. No Kysely, pg or
 * PGlite type crosses this boundary, and a unit of work opened inside another one fails at once
 * (NESTED_UNIT_OF_WORK) instead of deadlocking PGlite's single connection.
 */
export interface Database {
  readonly engine: 'pglite' | 'postgres';
  unitOfWork<T>(fn: (repos: Repositories) => Promise<T>): Promise<T>;
  /**
   * A unit of work that only reads (it must not write). It commits nothing, so a job's lease does
   * not fence it: a stage may read its next page while its last page's writes are committing.
   */
  read<T>(fn: (repos: Repositories) => Promise<T>): Promise<T>;
  /**
   * Takes a named lock held by a session of its own until `release` or until that connection ends
   * (a process that dies releases it); null while another session holds it. On PGlite the process
   * is alone with its data, so only holders within this process are excluded.
   */
  tryLock(name: string): Promise<SessionLock | null>;
  /** Applies pending migrations; idempotent. */
  migrate(): Promise<void>;
  close(): Promise<void>;
}

export type { Repositories, SessionLock };
