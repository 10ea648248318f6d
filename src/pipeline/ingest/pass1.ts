import { LRUCache } from 'lru-cache';
import type { Database } from '../../engines/database/port.js';
import { MAX_CHUNK } from '../../engines/database/repositories/chunk.js';
import type { RecordKey, RowErrorRow } from '../../engines/database/repositories/ingest.js';
import { crashPoint } from '../../shared/crash.js';
import type { CompiledIngestSpec } from './ingest-spec.js';
import { readResponse, StructureError, type ResponseLayout } from './read-response.js';
import { createRowValidator, type ValidatedRow, type SourceRecord } from './validate-row.js';

/** The SSRF guard as ingest uses it: `checkUrl(url, policy, {resolver})` bound to the vendor's policy. */
export type UrlChecker = (url: string) => Promise<{ allowed: boolean; reason?: string; detail?: string }>;

export interface PassContext {
  db: Database;
  tenantId: string;
  vendorId: string;
  fileId: string;
  path: string;
  compiled: CompiledIngestSpec;
  /** The outbound file this response answers (expected versions come from its file_members), or null. */
  answersFileId: string | null;
  checkUrl?: UrlChecker;
  chunkSize: number;
  onProgress?: (stage: 'pass1' | 'apply', rows: number) => void;
}

export interface Pass1Result {
  received: number;
  rejected: number;
  /** Set when the file cannot be read as the spec says (it is quarantined). */
  structure: StructureError | null;
}

const URL_CONCURRENCY = 16;

/**
 * Pass 1: parse, normalise and validate every row, writing each problem to row_errors and, for each
 * row that answers a benefit record, a baseline (expected version + before-image, first line wins).
 * Nothing is applied. Idempotent: run again after a crash, it writes nothing new.
 */
export async function runPass1(ctx: PassContext): Promise<Pass1Result> {
  const checkUrl = ctx.checkUrl ? memoiseUrlChecks(ctx.checkUrl) : undefined;
  const planCodes = await ctx.db.unitOfWork(async (r) => {
    // Each chunk's claim joins these by key: with stale statistics it would scan the tenant per chunk.
    await r.ingest.refreshStatistics(['benefit_records', 'employees', 'file_members']);
    return r.ingest.planCodes(ctx.tenantId, ctx.vendorId);
  });
  for (const p of ctx.compiled.spec.planCodes) planCodes.add(p);
  let validate: ((r: SourceRecord) => ValidatedRow) | null = null;
  const onLayout = (l: ResponseLayout) => { validate = createRowValidator(ctx.compiled, l.index, l.expectedFields); };
  let received = 0;
  let rejected = 0;
  let chunk: SourceRecord[] = [];
  // A chunk's database work runs while the next chunk is read and validated; chunks still reach the
  // database one after another, in file order (the first line claiming a record wins).
  let previous: Promise<void> = Promise.resolve();
  const commitChunk = async (rows: ValidatedRow[]) => {
    await ctx.db.unitOfWork(async (r) => {
      await checkAgainstDatabase(ctx, r.ingest, rows, planCodes);
      const errors = rowErrors(rows, !ctx.compiled.employeeColumn.sensitive && ctx.compiled.employeeColumn.type !== 'ssn');
      for (let i = 0; i < errors.length; i += MAX_CHUNK) await r.ingest.insertRowErrors(ctx.tenantId, ctx.fileId, errors.slice(i, i + MAX_CHUNK));
    });
    received += rows.length;
    for (const row of rows) if (row.rejected) rejected++;
    ctx.onProgress?.('pass1', received);
    crashPoint('ingest.pass1');
  };
  const flush = async () => {
    const rows = chunk.map(validate!);
    chunk = [];
    await checkUrls(rows, checkUrl);
    await previous;
    previous = commitChunk(rows);
    // Awaited at the next flush or at the end; until then a failure must not count as unhandled.
    previous.catch(() => {});
  };
  try {
    for await (const batch of readResponse(ctx.path, ctx.compiled, onLayout)) {
      for (const record of batch) {
        chunk.push(record);
        if (chunk.length >= ctx.chunkSize) await flush();
      }
    }
    if (chunk.length) await flush();
    await previous;
  } catch (e) {
    if (!(e instanceof StructureError)) throw e;
    if (chunk.length) await flush();
    await previous;
    return { received, rejected, structure: e };
  }
  return { received, rejected, structure: null };
}

const URL_VERDICTS_KEPT = 10_000;

/**
 * A file repeats the same few URLs (a plan document per plan) on most rows: each distinct URL is
 * checked once per pass — parse, resolve, classify — and its verdict reused. Bounded, so a file of
 * unique URLs costs a check per row, not memory.
 */
function memoiseUrlChecks(checkUrl: UrlChecker): UrlChecker {
  const verdicts = new LRUCache<string, ReturnType<UrlChecker>>({ max: URL_VERDICTS_KEPT });
  return (url) => {
    let verdict = verdicts.get(url);
    if (!verdict) {
      verdict = checkUrl(url);
      verdicts.set(url, verdict);
      // A failed check (not a refusal: an exception) is not remembered.
      verdict.catch(() => verdicts.delete(url));
    }
    return verdict;
  };
}

async function checkUrls(rows: ValidatedRow[], checkUrl: UrlChecker | undefined): Promise<void> {
  const work = rows.filter((r) => !r.rejected && r.urls.length > 0).flatMap((r) => r.urls.map((u) => ({ row: r, u })));
  let next = 0;
  const worker = async () => {
    while (next < work.length) {
      const { row, u } = work[next++]!;
      // Without a guard nothing can vouch for a URL: it is never stored.
      const verdict = checkUrl ? await checkUrl(u.url) : { allowed: false, reason: 'NO_GUARD', detail: 'no URL guard configured' };
      if (!verdict.allowed) {
        row.issues.push({ col: u.col, code: 'URL_BLOCKED', message: `${u.col}: URL blocked (${verdict.reason ?? 'BLOCKED'})${verdict.detail ? `: ${verdict.detail}` : ''}` });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(URL_CONCURRENCY, work.length) }, worker));
}

type IngestRepo = Parameters<Parameters<Database['unitOfWork']>[0]>[0]['ingest'];

async function checkAgainstDatabase(ctx: PassContext, repo: IngestRepo, rows: ValidatedRow[], planCodes: Set<string>): Promise<void> {
  const keyed = rows.filter((r) => r.employeeId !== null && r.planCode !== null);
  if (keyed.length === 0) return;
  const keyOf = (k: RecordKey) => `${k.employeeId}\u0000${k.planCode}`;
  // One statement finds each key's record and claims its baseline (the first line wins).
  const claims = await repo.claimRecords({
    tenantId: ctx.tenantId, vendorId: ctx.vendorId, fileId: ctx.fileId, answersFileId: ctx.answersFileId,
    lines: keyed.map((r) => ({ employeeId: r.employeeId!, planCode: r.planCode!, line: r.line })),
  });
  const byKey = new Map(claims.map((c) => [keyOf(c), c]));
  // Only a line without a record needs telling why: an unknown employee, or no such record.
  const missed = keyed.filter((r) => !byKey.has(keyOf({ employeeId: r.employeeId!, planCode: r.planCode! })));
  const employees = missed.length ? await repo.existingEmployees(ctx.tenantId, [...new Set(missed.map((r) => r.employeeId!))]) : new Set<string>();
  for (const row of keyed) {
    const key = { employeeId: row.employeeId!, planCode: row.planCode! };
    const hit = byKey.get(keyOf(key));
    if (!hit) {
      if (!employees.has(key.employeeId)) reject(row, ctx.compiled.employeeColumn.name, 'UNKNOWN_EMPLOYEE', `employee ${key.employeeId} is not known for tenant ${ctx.tenantId}`);
      else if (!planCodes.has(key.planCode)) reject(row, ctx.compiled.planColumn.name, 'UNKNOWN_PLAN', `plan code ${key.planCode} is not known for vendor ${ctx.vendorId}`);
      else reject(row, ctx.compiled.planColumn.name, 'NO_RECORD', ctx.answersFileId
        ? `employee ${key.employeeId} plan ${key.planCode} was not in the outbound file this response answers`
        : `no benefit record for employee ${key.employeeId} plan ${key.planCode}`);
      continue;
    }
    if (hit.owner !== row.line) {
      reject(row, ctx.compiled.employeeColumn.name, 'DUPLICATE_KEY', `employee ${row.employeeId} plan ${row.planCode} is already answered on line ${hit.owner}`);
    }
  }
}

function reject(row: ValidatedRow, col: string, code: ValidatedRow['issues'][number]['code'], message: string): void {
  row.issues.push({ col, code, message });
  row.rejected = true;
}

/** `keepEmployeeId`: false when the vendor keys rows by a sensitive value (an SSN is never stored in the clear). */
function rowErrors(rows: ValidatedRow[], keepEmployeeId: boolean): RowErrorRow[] {
  return rows.flatMap((r) => r.issues.map((i) => ({
    line: r.line, col: i.col, code: i.code, message: i.message, rawMasked: r.rawMasked,
    employeeId: keepEmployeeId ? r.employeeId : null, planCode: r.planCode,
  })));
}
