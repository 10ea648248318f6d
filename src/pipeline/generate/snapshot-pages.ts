import type { Database } from '../../engines/database/port.js';
import type { PiiCipher } from '../../security/pii-cipher.js';
import type { EmployeeSnapshot } from '../../shared/snapshot.js';
import { fromSnapshotParts } from '../load-employees.js';

/** One employee of a run: the decoded snapshot, or null when gather could not complete it. */
export interface RunEmployee { employeeId: string; snapshot: EmployeeSnapshot | null }
export interface SnapshotPage { employees: RunEmployee[]; last: string | null }

export interface SnapshotPagesInput {
  db: Database; pii: PiiCipher; tenantId: string; runId: string; pageSize: number;
  /** Pages the first reader may run ahead of the slowest (default 4). */
  window?: number;
  /** How long the first reader waits for a reader that does not move before it stops waiting for it (default 10 s). */
  stragglerMs?: number;
}

/**
 * A run's snapshots in keyset pages, decoded (stored JSON parsed, sealed part opened). Every vendor's
 * file of a run reads the same pages, and reading a page (the database sending it, this process
 * parsing and opening it) costs more than turning it into any one vendor's records. So the files
 * generated at once in one process read them together: the readers of a run form a feed, each page
 * is read once by whoever needs it first and kept until every reader of the feed has taken it. The
 * first reader runs at most `window` pages ahead of the slowest (bounded memory: a few pages); a
 * reader that does not move for `stragglerMs` is let go and reads what it still needs on its own, so
 * a stalled file never holds the others. A reader that comes after the feed's first page was let go
 * joins it all the same: it reads the pages it missed on its own (the others wait for it within the
 * window, or the straggler time) and shares the rest — the files of a run do not start at the same
 * instant, and at 50,000 the one of three that missed page 0 read all 50 pages alone. Pages are never
 * mutated by their readers; feeds are per cipher (per platform), tenant and run: nothing crosses
 * tenants or platforms.
 */
export async function* snapshotPages(input: SnapshotPagesInput): AsyncGenerator<SnapshotPage> {
  const feed = joinFeed(input);
  const reader = feed.attach();
  try {
    let after: string | null = null;
    for (let index = 0; ; index++) {
      const page = await feed.take(reader, index, after);
      yield page;
      if (page.last === null) return;
      after = page.last;
    }
  } finally {
    feed.detach(reader);
  }
}

const feeds = new WeakMap<PiiCipher, Map<string, Feed[]>>();

function joinFeed(input: SnapshotPagesInput): Feed {
  let byRun = feeds.get(input.pii);
  if (!byRun) feeds.set(input.pii, (byRun = new Map()));
  const key = JSON.stringify([input.tenantId, input.runId, input.pageSize]);
  const list = byRun.get(key) ?? [];
  let feed = list[0];
  if (!feed) {
    const created: Feed = new Feed(input, () => {
      const rest = (byRun.get(key) ?? []).filter((f) => f !== created);
      if (rest.length) byRun.set(key, rest); else byRun.delete(key);
    });
    feed = created;
    list.push(feed);
    byRun.set(key, list);
  }
  return feed;
}

interface Reader { next: number; attached: boolean; movedAt: number }

class Feed {
  private readonly pages = new Map<number, Promise<SnapshotPage>>();
  private readonly readers = new Set<Reader>();
  private read = 0; // pages read so far: page `read` is the next to fetch
  private wake: (() => void)[] = [];

  constructor(private readonly input: SnapshotPagesInput, private readonly onEmpty: () => void) {}

  attach(): Reader {
    const reader = { next: 0, attached: true, movedAt: Date.now() };
    this.readers.add(reader);
    return reader;
  }

  detach(reader: Reader): void {
    this.readers.delete(reader);
    reader.attached = false;
    this.settle();
    if (this.readers.size === 0) {
      this.pages.clear();
      this.onEmpty();
    }
  }

  async take(reader: Reader, index: number, after: string | null): Promise<SnapshotPage> {
    let page = this.pages.get(index);
    if (!page && index === this.read && reader.attached) {
      await this.roomFor(index);
      page = this.pages.get(index); // another reader may have fetched it meanwhile
      if (!page && index === this.read) {
        this.read++;
        page = readPage(this.input, after);
        this.pages.set(index, page);
        // A failed read is not kept: whoever asks next reads again.
        page.catch(() => { if (this.pages.get(index) === page) { this.pages.delete(index); this.read = Math.min(this.read, index); } });
      }
    }
    // Let go earlier (or behind a failed read): this reader fetches the page for itself, unshared.
    const result = await (page ?? readPage(this.input, after));
    reader.next = index + 1;
    reader.movedAt = Date.now();
    this.settle();
    return result;
  }

  /** Waits until the page `index` is within the window of every attached reader, letting stragglers go. */
  private async roomFor(index: number): Promise<void> {
    const window = this.input.window ?? 4;
    const stragglerMs = this.input.stragglerMs ?? 10_000;
    for (;;) {
      const slowest = this.slowest();
      if (!slowest || index - slowest.next < window) return;
      const waited = Date.now() - slowest.movedAt;
      if (waited >= stragglerMs) {
        slowest.attached = false;
        this.readers.delete(slowest);
        this.settle();
        continue;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, stragglerMs - waited);
        this.wake.push(() => { clearTimeout(timer); resolve(); });
      });
    }
  }

  private slowest(): Reader | undefined {
    let min: Reader | undefined;
    for (const r of this.readers) if (!min || r.next < min.next) min = r;
    return min;
  }

  /** Drops the pages every attached reader has taken and wakes a reader waiting for room. */
  private settle(): void {
    const lowest = this.slowest()?.next ?? this.read;
    for (const i of this.pages.keys()) if (i < lowest) this.pages.delete(i);
    const woken = this.wake;
    this.wake = [];
    for (const w of woken) w();
  }
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
