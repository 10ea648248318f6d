import { isDeepStrictEqual } from 'node:util';
import type { Repositories } from '../../engines/database/port.js';
import type { ApplyRow, BaselineRow, ConflictRow, Fields } from '../../engines/database/repositories/ingest.js';
import { crashPoint } from '../../shared/crash.js';
import type { PassContext } from '../ingest/pass1.js';
import { readResponse, type ResponseLayout } from '../ingest/read-response.js';
import { createRowValidator, type SourceRecord, type ValidatedRow } from '../ingest/validate-row.js';

export interface ApplyHooks {
  /** Test hook: runs before each chunk's transaction (e.g. to commit a concurrent edit). */
  beforeChunk?: (chunkIndex: number) => Promise<void>;
}

export interface ApplyOutcome { chunksApplied: number; chunksTakenByOthers: number }

/** Another worker advanced the checkpoint first: this chunk's transaction rolls back, recording nothing. */
class ChunkTaken extends Error {}

/**
 * Pass 2: re-reads the spooled file and applies it in chunks of `chunkSize` data records. Each chunk
 * is one transaction: one statement does the checkpoint compare-and-set (first, so a second worker on
 * the same file waits on it and then finds it moved), the set-based optimistic update with its audit
 * rows and the counters; conflicts and merges, when any, follow in the same transaction. Rows already
 * behind the checkpoint are skipped, so a restart resumes after the last committed chunk and nothing
 * is applied twice.
 */
export async function applyFile(ctx: PassContext, hooks: ApplyHooks = {}): Promise<ApplyOutcome> {
  const start = await ctx.db.unitOfWork((r) => r.ingest.getCheckpoint(ctx.fileId));
  if (!start || start.status !== 'applying') return { chunksApplied: 0, chunksTakenByOthers: 0 };
  let position = start.lastLine;
  const anyBlockedUrl = await ctx.db.unitOfWork(async (r) => {
    // Each chunk's update joins benefit_records by id (pass 1 refreshed them too; a resumed pass 2 may start here).
    await r.ingest.refreshStatistics(['benefit_records']);
    // Most files have no refused URL: then no chunk needs to look for one.
    return (await r.ingest.countRowErrors(ctx.fileId, 'URL_BLOCKED')) > 0;
  });
  let validate: ((r: SourceRecord) => ValidatedRow) | null = null;
  const onLayout = (l: ResponseLayout) => { validate = createRowValidator(ctx.compiled, l.index, l.expectedFields); };
  const outcome: ApplyOutcome = { chunksApplied: 0, chunksTakenByOthers: 0 };
  let chunkIndex = 0;
  let scanned = 0;
  let chunk: SourceRecord[] = [];

  const flush = async (records: SourceRecord[], sent: Sent | null) => {
    const index = chunkIndex++;
    const last = records[records.length - 1]!.line;
    if (!sent || last <= position) return; // already applied (by us before a restart, or by another worker)
    crashPoint('apply.before-chunk');
    await hooks.beforeChunk?.(index);
    const from = records[0]!.line;
    try {
      await ctx.db.unitOfWork(async (r) => {
        if (!(await applyChunk(ctx, r, sent, { from, previousLine: position, nextLine: last }))) throw new ChunkTaken();
        crashPoint('apply.in-chunk');
      });
      position = last;
      outcome.chunksApplied++;
    } catch (e) {
      if (!(e instanceof ChunkTaken)) throw e;
      outcome.chunksTakenByOthers++;
      const now = await ctx.db.unitOfWork((r) => r.ingest.getCheckpoint(ctx.fileId));
      position = now?.lastLine ?? position;
      if (now?.status !== 'applying') throw new ChunkTaken();
    }
    crashPoint('apply.after-chunk');
  };
  // A chunk's transaction runs while the next chunk is read, validated and its values prepared (the
  // database and this process work at once; a transaction holds its locks only for the statements);
  // chunks still commit one after another, in file order. Nothing is prepared for a chunk already
  // behind the checkpoint.
  let previous: Promise<void> = Promise.resolve();
  const submit = async () => {
    const records = chunk;
    chunk = [];
    const behind = records[records.length - 1]!.line <= position;
    const sent = behind ? null : await valuesToSend(ctx, records.map(validate!), records[0]!.line, records[records.length - 1]!.line, anyBlockedUrl);
    await previous;
    previous = flush(records, sent);
    // Awaited at the next submit or at the end; until then a failure must not count as unhandled.
    previous.catch(() => {});
  };

  try {
    for await (const batch of readResponse(ctx.path, ctx.compiled, onLayout)) {
      for (const record of batch) {
        chunk.push(record);
        if (chunk.length >= ctx.chunkSize) {
          await submit();
          scanned += ctx.chunkSize;
          ctx.onProgress?.('apply', scanned);
        }
      }
    }
    if (chunk.length) await submit();
    await previous;
  } catch (e) {
    await previous.catch(() => {});
    // Another worker finished the file while we were behind it: nothing left for us.
    if (e instanceof ChunkTaken) return outcome;
    throw e;
  }
  await ctx.db.unitOfWork((r) => r.ingest.finishCheckpoint(ctx.fileId));
  return outcome;
}

/** A chunk's rows to apply, by line: pass 1 rejected none of them; values of refused URLs left out. */
type Sent = Map<number, Fields>;

/**
 * What a chunk sends. Refused URLs were recorded in pass 1 and never change afterwards, so they are
 * read here, outside the chunk's transaction.
 */
async function valuesToSend(ctx: PassContext, rows: ValidatedRow[], from: number, to: number, anyBlockedUrl: boolean): Promise<Sent> {
  const blockedUrls = anyBlockedUrl ? await ctx.db.unitOfWork((r) => r.ingest.rowErrorsBetween(ctx.fileId, from, to, ['URL_BLOCKED'])) : [];
  const dropped = new Set(blockedUrls.map((b) => `${b.line}\u0000${b.col}`));
  // Rows rejected in pass 1 are not sent; a line with no baseline (unknown key, duplicate) is ignored by the statement.
  const sent: Sent = new Map();
  for (const row of rows) {
    if (row.rejected) continue;
    let values: Fields = row.values;
    if (dropped.size) {
      values = { ...values };
      for (const u of row.urls) if (u.field && dropped.has(`${row.line}\u0000${u.col}`)) delete values[u.field];
    }
    sent.set(row.line, values);
  }
  return sent;
}

/**
 * One chunk inside its transaction; false when another worker had already moved the checkpoint past
 * it (then nothing was changed, and the caller rolls back).
 */
async function applyChunk(ctx: PassContext, r: Repositories, sent: Sent, at: { from: number; previousLine: number; nextLine: number }): Promise<boolean> {
  const to = at.nextLine;
  const actor = `vendor:${ctx.vendorId}`;
  // The checkpoint's compare-and-set comes first within this statement, before any record is locked:
  // a second worker on the same chunk waits on the checkpoint row, then finds it moved.
  const { claimed, missed } = await r.ingest.applyLines({
    tenantId: ctx.tenantId, fileId: ctx.fileId, actor, rows: [...sent].map(([line, values]) => ({ line, values })),
    checkpoint: { previousLine: at.previousLine, nextLine: at.nextLine },
  });
  // The common case ends here: every row applied, checkpoint and counters moved by the same statement.
  if (!claimed || missed.length === 0) return claimed;
  const missedLines = new Set(missed);
  const work: Array<{ apply: ApplyRow; baseline: BaselineRow }> = (await r.ingest.baselinesBetween(ctx.fileId, at.from, to))
    .filter((b) => missedLines.has(b.line))
    .map((baseline) => ({ apply: { recordId: baseline.recordId, expectedVersion: baseline.expectedVersion, values: sent.get(baseline.line)!, line: baseline.line }, baseline }));
  const current = await r.ingest.currentRecords(work.map((w) => w.apply.recordId));
  let skipped = 0;
  const retry: typeof work = [];
  const conflicts: ConflictRow[] = [];
  for (const w of work) {
    const cur = current.get(w.apply.recordId);
    if (cur && containsAll(cur.fields, w.apply.values)) {
      skipped++; // the values are already there (whatever the version): nothing to change
      continue;
    }
    if (cur && cur.version !== w.apply.expectedVersion && !touchesSameFields(w.baseline.before, cur.fields, w.apply.values)) {
      retry.push({ ...w, apply: { ...w.apply, expectedVersion: cur.version } });
      continue;
    }
    conflicts.push(conflictOf(w, cur));
  }
  // Someone changed other fields since the version we expected: apply ours on their version.
  const merged = await r.ingest.applyChunk({ tenantId: ctx.tenantId, fileId: ctx.fileId, actor, rows: retry.map((w) => w.apply) });
  const stillMissed = retry.filter((w) => !merged.has(w.apply.recordId));
  if (stillMissed.length) {
    const again = await r.ingest.currentRecords(stillMissed.map((w) => w.apply.recordId));
    for (const w of stillMissed) conflicts.push(conflictOf(w, again.get(w.apply.recordId)));
  }
  await r.ingest.insertConflicts(ctx.tenantId, ctx.fileId, conflicts);
  await r.ingest.addCounters(ctx.fileId, { merged: merged.size, skipped, conflicted: conflicts.length });
  return true;
}

function conflictOf(w: { apply: ApplyRow; baseline: BaselineRow }, cur: { version: number; fields: Fields } | undefined): ConflictRow {
  return {
    line: w.apply.line, recordId: w.apply.recordId, expectedVersion: w.apply.expectedVersion, actualVersion: cur?.version ?? 0,
    before: w.baseline.before, theirs: cur?.fields ?? {}, ours: w.apply.values,
  };
}

function containsAll(fields: Fields, values: Fields): boolean {
  return Object.entries(values).every(([k, v]) => isDeepStrictEqual(fields[k], v));
}

/** Did the change made since `before` touch any field this row sets? */
function touchesSameFields(before: Fields, now: Fields, ours: Fields): boolean {
  return Object.keys(ours).some((k) => !isDeepStrictEqual(before[k], now[k]));
}
