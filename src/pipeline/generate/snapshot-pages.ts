import { LRUCache } from 'lru-cache';
import type { Database } from '../../engines/database/port.js';
import type { PiiCipher } from '../../security/pii-cipher.js';
import type { EmployeeSnapshot } from '../../shared/snapshot.js';
import { fromSnapshotParts } from '../load-employees.js';

/** One employee of a run: the decoded snapshot, or null when gather could not complete it. */
export interface RunEmployee { employeeId: string; snapshot: EmployeeSnapshot | null }
export interface SnapshotPage { employees: RunEmployee[]; last: string | null }

export interface SnapshotPagesInput { db: Database; pii: PiiCipher; tenantId: string; runId: string; pageSize: number }

/**
 * A run's snapshots in keyset pages, decoded (stored JSON parsed, sealed part opened). Every vendor's
 * file of a run reads the same pages, and decoding is most of what reading costs, so the files
 * generated at once in one process share them: the first to reach a page reads it, the others take
 * it from a short window of recent pages. A follower spends almost nothing on a page it finds there,
 * so it catches up with the leader, and the files of a run converge on one decode of each page.
 * Pages are never mutated by their readers. The window is a few pages (bounded memory) and short-
 * lived, keyed per cipher (per platform) and tenant: nothing crosses tenants or platforms.
 */
export async function* snapshotPages(input: SnapshotPagesInput): AsyncGenerator<SnapshotPage> {
  let after: string | null = null;
  for (;;) {
    const page = await sharedPage(input, after);
    yield page;
    if (page.last === null) return;
    after = page.last;
  }
}

const windows = new WeakMap<PiiCipher, LRUCache<string, Promise<SnapshotPage>>>();

function sharedPage(input: SnapshotPagesInput, after: string | null): Promise<SnapshotPage> {
  let window = windows.get(input.pii);
  if (!window) windows.set(input.pii, (window = new LRUCache({ max: 6, ttl: 30_000 })));
  const key = JSON.stringify([input.tenantId, input.runId, input.pageSize, after]);
  const cached = window.get(key);
  if (cached) return cached;
  const loading = readPage(input, after);
  window.set(key, loading);
  // A failed read is not remembered: the next reader tries again.
  loading.catch(() => { if (window.get(key) === loading) window.delete(key); });
  return loading;
}

async function readPage({ db, pii, tenantId, runId, pageSize }: SnapshotPagesInput, after: string | null): Promise<SnapshotPage> {
  const rows = await db.read((r) => r.gather.snapshotsPage(runId, after, pageSize));
  return {
    employees: rows.map((row) => ({
      employeeId: row.employeeId,
      snapshot: row.status === 'complete' && row.data ? fromSnapshotParts(tenantId, row.data, row.pii, pii) : null,
    })),
    last: rows.length === pageSize ? rows[rows.length - 1]!.employeeId : null,
  };
}
