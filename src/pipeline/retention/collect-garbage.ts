import { lstat, opendir, rm, rmdir } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type { Database } from '../../engines/database/port.js';
import type { NeededFile } from '../../engines/database/repositories/retention.js';

/** How long each kind of data is kept, in days (the `retention` configuration section). */
export interface RetentionPolicy {
  spoolDays: number;
  archiveDays: number;
  snapshotDays: number;
  rowPayloadDays: number;
}

export interface RemovedFile { path: string; bytes: number }

export interface GcReport {
  dryRun: boolean;
  spool: { removed: RemovedFile[]; keptForUnfinishedCycles: number };
  archives: { removed: RemovedFile[] };
  snapshots: { runs: string[]; rows: number };
  rowPayloads: { files: number; rows: number };
}

export interface GcOptions {
  db: Database;
  /** The spool: generate writes `outbound/<tenant>/<vendor>/<file name>`, pickup `inbound/<file id>`, `download/`, `quarantine/`. */
  spoolDir: string;
  /** Local archive folders, e.g. `<home>/archive` and the embedded SFTP server's `<inbox>/archive`. */
  archiveDirs: readonly string[];
  policy: RetentionPolicy;
  dryRun: boolean;
  now?: Date;
}

const DAY = 86_400_000;
const PAGE = 500;

/**
 * Removes what retention says has expired: spool files and local archives by age, snapshots of
 * finished runs and per-row payloads of finished files by age — never what an unfinished cycle
 * still needs (its run's snapshots, its outbound file, the response it awaits or is ingesting), the
 * database deciding what is unfinished. With `dryRun` it reports the same without removing.
 */
export async function collectGarbage(o: GcOptions): Promise<GcReport> {
  const now = o.now ?? new Date();
  const before = (days: number) => new Date(now.getTime() - days * DAY);
  const report: GcReport = {
    dryRun: o.dryRun, spool: { removed: [], keptForUnfinishedCycles: 0 }, archives: { removed: [] },
    snapshots: { runs: [], rows: 0 }, rowPayloads: { files: 0, rows: 0 },
  };

  const needed = await neededSpoolKeys(o.db);
  const spoolRoot = o.spoolDir;
  await sweep(spoolRoot, before(o.policy.spoolDays), o.dryRun, (path) => {
    const keep = isNeeded(relative(spoolRoot, path), needed);
    if (keep) report.spool.keptForUnfinishedCycles++;
    return keep;
  }, report.spool.removed);
  for (const dir of o.archiveDirs) {
    await sweep(dir, before(o.policy.archiveDays), o.dryRun, () => false, report.archives.removed);
  }

  if (!o.dryRun) await o.db.unitOfWork((r) => r.retention.refreshStatistics());
  let after: string | null = null;
  for (;;) {
    const runs: string[] = await o.db.unitOfWork((r) => r.retention.expiredSnapshotRuns(before(o.policy.snapshotDays), after, PAGE));
    for (const runId of runs) {
      let rows = 0;
      if (o.dryRun) rows = await o.db.unitOfWork((r) => r.retention.countSnapshots(runId));
      else for (let n = -1; n !== 0; rows += n) n = await o.db.unitOfWork((r) => r.retention.deleteSnapshotsChunk(runId));
      if (rows > 0) report.snapshots.runs.push(runId);
      report.snapshots.rows += rows;
    }
    if (runs.length < PAGE) break;
    after = runs[runs.length - 1]!;
  }

  after = null;
  for (;;) {
    const files: string[] = await o.db.unitOfWork((r) => r.retention.expiredPayloadFiles(before(o.policy.rowPayloadDays), after, PAGE));
    for (const fileId of files) {
      let rows = 0;
      if (o.dryRun) rows = await o.db.unitOfWork((r) => r.retention.countPayloads(fileId));
      else for (let n = -1; n !== 0; rows += n) n = await o.db.unitOfWork((r) => r.retention.clearPayloadsChunk(fileId));
      if (rows > 0) report.rowPayloads.files++;
      report.rowPayloads.rows += rows;
    }
    if (files.length < PAGE) break;
    after = files[files.length - 1]!;
  }
  return report;
}

interface NeededKeys { ids: Set<string>; paths: Set<string> }

async function neededSpoolKeys(db: Database): Promise<NeededKeys> {
  const keys: NeededKeys = { ids: new Set(), paths: new Set() };
  let after: string | null = null;
  for (;;) {
    const page: NeededFile[] = await db.unitOfWork((r) => r.retention.neededFiles(after, PAGE));
    for (const f of page) {
      keys.ids.add(f.fileId);
      keys.paths.add([f.tenantId, f.vendorId, f.name].join('/'));
    }
    if (page.length < PAGE) return keys;
    after = page[page.length - 1]!.fileId;
  }
}

/** A spool path is needed when a segment is a needed file's id (`inbound/<id>`, `<id>.raw`) or it ends in `<tenant>/<vendor>/<name>` of one. */
function isNeeded(rel: string, keys: NeededKeys): boolean {
  const parts = rel.split(sep);
  if (parts.some((p) => keys.ids.has(p) || keys.ids.has(p.split('.')[0]!))) return true;
  const tail = parts.slice(-3).join('/').replace(/\.part$/, '');
  return keys.paths.has(tail);
}

/** Removes regular files under `root` last modified before `cutoff` (symbolic links are never followed), then old empty directories. */
async function sweep(root: string, cutoff: Date, dryRun: boolean, keep: (path: string) => boolean, removed: RemovedFile[]): Promise<void> {
  const walk = async (dir: string): Promise<boolean> => {
    let handle;
    try {
      handle = await opendir(dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw e;
    }
    // Taken before removing anything (that changes it): a directory written to recently stays.
    const old = (await lstat(dir)).mtime < cutoff;
    let empty = true;
    for await (const entry of handle) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!(await walk(path))) empty = false;
        continue;
      }
      if (!entry.isFile()) { empty = false; continue; }
      const st = await lstat(path).catch(() => null);
      if (!st || st.mtime >= cutoff || keep(path)) { empty = false; continue; }
      if (!dryRun) await rm(path, { force: true });
      else empty = false;
      removed.push({ path, bytes: st.size });
    }
    if (empty && old && dir !== root && !dryRun) {
      await rmdir(dir).catch(() => { empty = false; });
    } else empty = false;
    return empty;
  };
  await walk(root);
}
