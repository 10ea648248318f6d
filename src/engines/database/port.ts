import type { Repositories } from './repositories/index.js';

/**
 * The database port. The only way in is a unit of work: the callback receives repositories bound
 * to one transaction, committed when it resolves and rolled back when it throws. No Kysely, pg or
 * PGlite type crosses this boundary, and a unit of work opened inside another one fails at once
 * (NESTED_UNIT_OF_WORK) instead of deadlocking PGlite's single connection.
 */
export interface Database {
  readonly engine: 'pglite' | 'postgres';
  unitOfWork<T>(fn: (repos: Repositories) => Promise<T>): Promise<T>;
  /** Applies pending migrations; idempotent. */
  migrate(): Promise<void>;
  close(): Promise<void>;
}

export type { Repositories };
