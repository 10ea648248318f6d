import type { Migration } from 'kysely';
import * as core from './001-core.js';
import * as transfer from './006-transfer.js';
import * as cycles from './008-cycles.js';

/** Migrations in order; names sort, and a name never changes once released. */
export const migrations: Record<string, Migration> = {
  '001-core': core,
  '006-transfer': transfer,
  '008-cycles': cycles,
};
