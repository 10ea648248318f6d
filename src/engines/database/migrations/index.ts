import type { Migration } from 'kysely';
import * as core from './001-core.js';
import * as formats from './005-formats.js';
import * as transfer from './006-transfer.js';
import * as ingest from './007-ingest.js';
import * as cycles from './008-cycles.js';
import * as platformSettings from './009-platform-settings.js';
import * as schedules from './010-schedules.js';
import * as rowErrorKeys from './011-row-error-keys.js';
import * as responseIdentity from './012-response-identity.js';
import * as snapshotsByBatch from './013-snapshots-by-batch.js';

/** Migrations in order; names sort, and a name never changes once released. */
export const migrations: Record<string, Migration> = {
  '001-core': core,
  '005-formats': formats,
  '006-transfer': transfer,
  '007-ingest': ingest,
  '008-cycles': cycles,
  '009-platform-settings': platformSettings,
  '010-schedules': schedules,
  '011-row-error-keys': rowErrorKeys,
  '012-response-identity': responseIdentity,
  '013-snapshots-by-batch': snapshotsByBatch,
};
