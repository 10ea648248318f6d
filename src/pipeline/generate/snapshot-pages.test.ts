import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Database } from '../../engines/database/port.js';
import { createPiiCipher } from '../../security/pii-cipher.js';
import { snapshotPages, type SnapshotPagesInput } from './snapshot-pages.js';

/** A run of `n` employees (incomplete snapshots: nothing to decode) whose page reads are counted. */
function runOf(n: number) {
  const ids = Array.from({ length: n }, (_, i) => `E${String(i).padStart(5, '0')}`);
  const reads: Array<string | null> = [];
  const db = {
    read: async <T>(work: (r: unknown) => Promise<T>) => work({
      gather: {
        snapshotsPage: async (_run: string, after: string | null, limit: number) => {
          reads.push(after);
          await new Promise((r) => setTimeout(r, 1));
          return ids.filter((id) => after === null || id > after).slice(0, limit)
            .map((employeeId) => ({ employeeId, status: 'incomplete', data: null, pii: null }));
        },
      },
    }),
  } as unknown as Database;
  return { ids, reads, db };
}

async function drain(input: SnapshotPagesInput, pause: (page: number) => Promise<unknown> = async () => {}): Promise<string[]> {
  const seen: string[] = [];
  let i = 0;
  for await (const page of snapshotPages(input)) {
    seen.push(...page.employees.map((e) => e.employeeId));
    await pause(i++);
  }
  return seen;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

describe('snapshot pages shared by the files of a run', () => {
  it('reads each page once for readers going at different speeds, each seeing every employee in order', async () => {
    const { ids, reads, db } = runOf(95);
    const input = { db, pii: createPiiCipher(randomBytes(32)), tenantId: 't', runId: 'r', pageSize: 10, window: 2 };
    const results = await Promise.all([drain(input), drain(input, () => sleep(5)), drain(input, (i) => sleep(i % 3 === 0 ? 12 : 0))]);
    for (const seen of results) expect(seen).toEqual(ids);
    expect(reads).toHaveLength(10);
    expect(new Set(reads).size).toBe(10);
  });

  it('lets a reader that stops moving go: the others finish, and so does it, reading what it still needs', async () => {
    const { ids, reads, db } = runOf(60);
    const input = { db, pii: createPiiCipher(randomBytes(32)), tenantId: 't', runId: 'r', pageSize: 10, window: 2, stragglerMs: 50 };
    let stalledDone = false;
    const stalled = drain(input, (i) => (i === 1 ? sleep(400) : Promise.resolve())).finally(() => { stalledDone = true; });
    const fast = await drain(input);
    expect(fast).toEqual(ids);
    expect(stalledDone).toBe(false); // the fast reader was not held until the stalled one moved again
    expect(await stalled).toEqual(ids);
    expect(reads.length).toBeGreaterThan(6); // the stalled reader read its remaining pages itself
  });

  it('lets a reader that comes after the first page was let go read what it missed and share the rest, and keeps runs apart', async () => {
    const { ids, reads, db } = runOf(50);
    const input = { db, pii: createPiiCipher(randomBytes(32)), tenantId: 't', runId: 'r', pageSize: 10, window: 1 };
    let late: Promise<string[]> | undefined;
    const first = drain(input, (i) => { if (i === 3) late = drain(input); return sleep(2); });
    expect(await first).toEqual(ids);
    expect(await late).toEqual(ids);
    const other = await drain({ ...input, runId: 'other' });
    expect(other).toEqual(ids);
    // The late reader read pages 0-2 on its own and shared the rest; the other run read its own six.
    expect(reads.length).toBeGreaterThan(6 + 6);
    expect(reads.length).toBeLessThan(6 + 6 + 6);
  });
});
