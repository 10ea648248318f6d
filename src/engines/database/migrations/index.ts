import type { Migration } from 'kysely';
import * as core from './001-core.js';
import * as transfer from './006-transfer.js';

/** Migrations in order; names sort, and a name never changes once released. */
export const migrations: Record<string, Migration> = {
  '001-core': core,
  '006-transfer': transfer,
};
