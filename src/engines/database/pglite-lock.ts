import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { VendorflowError } from '../../shared/errors.js';

/**
 * PGlite's data directory belongs to one process: two processes opening it corrupt it (their
 * indexes and heap pages interleave). A pid file taken with O_EXCL enforces that; a lock whose
 * process is gone (crash, SIGKILL) is stale and is taken over.
 */
export function lockDataDir(dataDir: string): () => void {
  const path = `${dataDir}.lock`;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      const release = () => {
        try {
          if (readFileSync(path, 'utf8') === String(process.pid)) unlinkSync(path);
        } catch { /* already gone */ }
      };
      process.once('exit', release);
      return () => {
        process.removeListener('exit', release);
        release();
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const holder = Number(readFileSync(path, 'utf8').trim());
      if (holder && isAlive(holder)) {
        throw new VendorflowError('CONFLICT',
          `the embedded database at ${dataDir} is in use by another vendorflow process (pid ${holder}); ` +
          'stop it first, use another VENDORFLOW_HOME, or set DATABASE_URL for concurrent processes');
      }
      try { unlinkSync(path); } catch { /* raced with another taker */ }
    }
  }
  throw new VendorflowError('CONFLICT', `could not lock the embedded database at ${dataDir}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
