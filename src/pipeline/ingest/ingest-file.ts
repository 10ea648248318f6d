import { createHash } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import { basename } from 'node:path';
import type { Database } from '../../engines/database/port.js';
import { crashPoint } from '../../shared/crash.js';
import { VendorflowError } from '../../shared/errors.js';
import { applyFile, type ApplyHooks } from '../apply/apply-file.js';
import { reconcileFile, type Reconciliation } from '../reconcile/reconcile-file.js';
import { correlate } from './correlate.js';
import { compileIngestSpec, type CompiledIngestSpec, type IngestSpec, type IngestSpecInput } from './ingest-spec.js';
import { runPass1, type PassContext, type UrlChecker } from './pass1.js';

export const DEFAULT_CHUNK_SIZE = 1000;

export interface IngestFileInput {
  db: Database;
  tenantId: string;
  vendorId: string;
  /** The spooled, decrypted response file. */
  path: string;
  /** Its name as received (correlation by file name); default the path's base name. */
  name?: string;
  spec: IngestSpecInput | IngestSpec | CompiledIngestSpec;
  /** The outbound file this answers, when the caller knows it (a cycle); else the spec's correlation rule decides. */
  answersFileId?: string | null;
  cycleId?: string | null;
  /** The SSRF guard bound to the vendor's URL policy; without one every URL is refused (never stored). */
  checkUrl?: UrlChecker;
  /** Rows per apply transaction (and per pass-1 statement); at most 1,000. */
  chunkSize?: number;
  /** Where the discrepancy report CSV goes; none written when absent. */
  reportDir?: string;
  onProgress?: PassContext['onProgress'];
  hooks?: ApplyHooks;
}

export interface IngestSummary {
  fileId: string;
  name: string;
  answersFileId: string | null;
  /** applied: both passes done; quarantined: nothing applied, see `reason`. */
  status: 'applied' | 'quarantined';
  reason: string | null;
  /** True when this content had been ingested before (nothing was done again). */
  alreadyIngested: boolean;
  reconciliation: Reconciliation;
}

/**
 * Ingests one response file end to end and resumably: pass 1 (validate, row errors, baselines,
 * verdict), pass 2 (chunked optimistic apply), reconciliation. Call it again after any crash, or from
 * two workers at once: the file's identity (vendor + SHA-256) and the checkpoint make every step
 * happen once.
 */
export async function ingestFile(input: IngestFileInput): Promise<IngestSummary> {
  const compiled = 'employeeColumn' in input.spec ? input.spec : compileIngestSpec(input.spec);
  const chunkSize = input.chunkSize ?? DEFAULT_CHUNK_SIZE;
  if (!Number.isInteger(chunkSize) || chunkSize < 1 || chunkSize > 1000) {
    throw new VendorflowError('USAGE', `chunk size must be 1..1000, got ${chunkSize}`);
  }
  const name = input.name ?? basename(input.path);
  const { db, tenantId, vendorId } = input;
  // Part of the file's identity: the row registered below holds this same value.
  const answersFileId = input.answersFileId !== undefined && input.answersFileId !== null
    ? input.answersFileId
    : await correlate(db, { tenantId, vendorId, name, path: input.path, compiled });
  const sha256 = await fileSha256(input.path);
  const { file } = await db.unitOfWork(async (r) => {
    const reg = await r.ingest.registerInboundFile({
      tenantId, vendorId, name, sha256, size: statSync(input.path).size, answersFileId, cycleId: input.cycleId ?? null,
    });
    await r.ingest.openCheckpoint(tenantId, reg.file.fileId);
    return reg;
  });
  const fileId = file.fileId;
  const ctx: PassContext = {
    db, tenantId, vendorId, fileId, path: input.path, compiled, answersFileId, chunkSize,
    ...(input.checkUrl ? { checkUrl: input.checkUrl } : {}), ...(input.onProgress ? { onProgress: input.onProgress } : {}),
  };

  let cp = await db.unitOfWork((r) => r.ingest.getCheckpoint(fileId));
  const alreadyIngested = cp?.status === 'applied' || cp?.status === 'quarantined';
  if (cp?.pass === 1) {
    const p1 = await runPass1(ctx);
    const share = p1.received ? p1.rejected / p1.received : 0;
    const threshold = compiled.spec.errorThreshold;
    const reason = p1.structure
      ? `${p1.structure.reason}: ${p1.structure.message}`
      : share > threshold
        ? `${p1.rejected} of ${p1.received} rows rejected (${(share * 100).toFixed(1)}%), above the spec's threshold of ${(threshold * 100).toFixed(1)}%`
        : null;
    await db.unitOfWork(async (r) => {
      const moved = await r.ingest.closePass1(fileId, { status: reason ? 'quarantined' : 'applying', received: p1.received, rejected: p1.rejected, reason });
      if (moved) await r.ingest.setFileStatus(fileId, reason ? 'quarantined' : 'applying', reason, p1.received);
    });
    crashPoint('ingest.pass1-verdict');
    cp = await db.unitOfWork((r) => r.ingest.getCheckpoint(fileId));
  }
  if (cp?.status === 'applying') {
    await applyFile(ctx, input.hooks);
    await db.unitOfWork(async (r) => {
      const now = await r.ingest.getCheckpoint(fileId);
      if (now?.status === 'applied') await r.ingest.setFileStatus(fileId, 'applied', null);
    });
    cp = await db.unitOfWork((r) => r.ingest.getCheckpoint(fileId));
  }
  if (cp?.status !== 'applied' && cp?.status !== 'quarantined') {
    throw new VendorflowError('INTERNAL', `ingest of ${name} ended in state ${cp?.status ?? 'unknown'}`);
  }
  const reconciliation = await reconcileFile(db, {
    fileId, ...(input.reportDir ? { reportDir: input.reportDir, reportName: `${input.cycleId ?? fileId}-discrepancies.csv` } : {}),
  });
  return { fileId, name, answersFileId, status: cp.status, reason: cp.reason, alreadyIngested, reconciliation };
}

async function fileSha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
