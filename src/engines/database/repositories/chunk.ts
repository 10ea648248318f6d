import { VendorflowError } from '../../../shared/errors.js';

/** Statements touch at most one chunk: PGlite runs them on the JavaScript thread. */
export const MAX_CHUNK = 1000;

export function assertChunk(rows: readonly unknown[], what: string): void {
  if (rows.length > MAX_CHUNK) {
    throw new VendorflowError('INTERNAL', `${what}: ${rows.length} rows in one statement (max ${MAX_CHUNK})`);
  }
}
