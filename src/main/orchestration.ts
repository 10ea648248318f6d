import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { bindHandlers } from '../jobs/bind-handlers.js';
import { gatherBatch } from '../pipeline/gather/gather-batch.js';
import { advanceMemberHashes } from '../pipeline/generate/mark-file-delivered.js';
import { generateFile, type GeneratedFile } from '../pipeline/generate/generate-file.js';
import { deliverFile } from '../pipeline/deliver/deliver-file.js';
import { correlate, mayBelongToTenant } from '../pipeline/ingest/correlate.js';
import { ingestSpecForTenant } from '../pipeline/ingest/from-vendor-spec.js';
import { compileIngestSpec, type CompiledIngestSpec } from '../pipeline/ingest/ingest-spec.js';
import { ingestFile, type IngestSummary } from '../pipeline/ingest/ingest-file.js';
import { pollInbox } from '../pipeline/pickup/poll-inbox.js';
import { planRun } from '../pipeline/plan/plan-run.js';
import { reconcileFile } from '../pipeline/reconcile/reconcile-file.js';
import { createOrchestrator, type Orchestrator } from '../pipeline/run-cycle.js';
import type { CycleStageInput, PipelineStages } from '../pipeline/stage-ports.js';
import type { Database } from '../engines/database/port.js';
import { NonRetryableError, VendorflowError } from '../shared/errors.js';
import { openPipelineEnvironment, reportsDirOf, type PipelineEnvironment } from './pipeline-environment.js';
import { incompleteReasons } from './run-report.js';
import type { Platform } from './platform.js';

/**
 * Wires each stage of the run to its use-case: thin adapters from the orchestrator's narrow port
 * (`PipelineStages`) to plan, gather, generate, deliver, pickup, ingest/apply and reconcile. Where
 * a use-case does more than one stage (ingestFile runs both passes and the reconciliation) the
 * adapter stops it at the stage boundary, so each stage's time and crash recovery are its own.
 */
export function pipelineStages(platform: Platform, env: PipelineEnvironment): PipelineStages {
  const compiled = new Map<string, CompiledIngestSpec>();
  /** The vendor's response spec, reading its plan codes back through this tenant's outbound plan-code map. */
  const ingestSpec = async (db: Database, tenantId: string, vendorId: string) => {
    const spec = await ingestSpecForTenant(db, tenantId, env.vendors.get(vendorId));
    const key = `${vendorId}\u0000${JSON.stringify(spec.planCodeMap)}`;
    let c = compiled.get(key);
    if (!c) compiled.set(key, c = compileIngestSpec(spec));
    return c;
  };
  const outboundDir = join(env.spoolDir, 'outbound');
  const inboundPath = (fileId: string) => join(env.spoolDir, 'inbound', fileId);
  const reportDir = reportsDirOf(platform.config);

  // A cycle's file is dated by the cycle's scheduled time, so generating it again (after a crash, or
  // on another machine) gives the same name and header dates, and a rerun of the same input the same file.
  const generate = async (input: CycleStageInput, fileId?: string): Promise<GeneratedFile> => generateFile({
    db: input.db, pii: platform.pii, tenantId: input.tenantId, runId: input.runId, vendorSpec: env.vendors.get(input.vendorId),
    kind: input.kind === 'change' ? 'change' : 'full', cycleId: input.cycleId, spoolDir: outboundDir, ...(fileId ? { fileId } : {}),
    now: (await input.db.unitOfWork((r) => r.cycles.get(input.cycleId)))?.scheduledFor ?? new Date(),
  });

  /**
   * A file is sent only when the run gathered enough of the tenant: a full file missing employees (a
   * service down, a breaker open) tells the vendor their coverage ended; a change file would miss them.
   */
  const refuseIncompleteGather = async (input: CycleStageInput) => {
    const c = await input.db.unitOfWork((r) => r.gather.snapshotCounts(input.runId));
    const total = c.complete + c.incomplete;
    const limit = platform.config.cycles.maxIncompleteShare;
    if (total === 0 || c.incomplete / total <= limit) return;
    throw new NonRetryableError('GATHER_INCOMPLETE',
      `${c.incomplete} of ${total} employees (${((100 * c.incomplete) / total).toFixed(1)}%) could not be gathered (${incompleteReasons(c.reasons, 3)}), above cycles.maxIncompleteShare ` +
      `${limit}: no file generated for ${input.vendorId}. Fix the services, then start a new run`);
  };

  /** The response file's stored name and spooled path (pickup put it there). */
  async function response(db: Database, fileId: string) {
    const file = await db.unitOfWork((r) => r.ingest.getFile(fileId));
    if (!file) throw new VendorflowError('NOT_FOUND', `no response file ${fileId}`);
    const path = inboundPath(fileId);
    if (!existsSync(path)) throw new NonRetryableError('NOT_FOUND', `response ${file.name} (${fileId}) is not in this process's spool ${env.spoolDir}`);
    return { name: file.name, path };
  }

  const ingest = async (input: CycleStageInput & { responseFileId: string }, opts: { pass1Only: boolean }): Promise<IngestSummary | null> => {
    const { name, path } = await response(input.db, input.responseFileId);
    try {
      return await ingestFile({
        db: input.db, tenantId: input.tenantId, vendorId: input.vendorId, path, name, spec: await ingestSpec(input.db, input.tenantId, input.vendorId),
        answersFileId: String(input.counters['generate.outboundFileId'] ?? '') || null, cycleId: input.cycleId,
        checkUrl: env.urlChecker(input.vendorId),
        // Pass 1's verdict is committed before the first chunk: stopping there ends the ingest stage.
        ...(opts.pass1Only ? { hooks: { beforeChunk: async () => { throw STOP_AT_APPLY; } } } : {}),
      });
    } catch (e) {
      if (e === STOP_AT_APPLY) return null;
      throw e;
    }
  };

  return {
    async planRun({ db, tenantId, runId, gatherMode }) {
      const counts = await planRun({
        db, tenantId, runId, gatherMode: gatherMode === 'per-employee' ? 'per-employee' : 'batched',
        org: env.connectors().org, plan: { maxBatchSize: env.maxBatchSize },
      });
      // One call lists the units, one per unit lists its members (retries not counted).
      return { ...counts, calls: counts.units + 1 };
    },
    async gatherBatch({ db, batchId, gatherMode }) {
      const mode = gatherMode === 'per-employee' ? 'per-employee' : 'batched';
      const r = await gatherBatch({ db, pii: platform.pii, connectors: env.connectors(), cache: platform.cache }, batchId, { mode });
      // The gathered snapshots become the tenant's current employees (what responses are checked against).
      for (let after: string | null = null; ;) {
        const last: string | null = await db.unitOfWork((repos) => repos.runResults.promoteBatch(batchId, after));
        if (last === null) break;
        after = last;
      }
      return {
        employees: r.employees, complete: r.complete, incomplete: r.incomplete, reasons: r.reasons,
        calls: r.calls, naiveCalls: r.naiveCalls, outcomes: r.outcomes,
        cacheServed: r.tally.cacheServed, cacheMissed: r.tally.cacheMissed, versionRefetches: r.tally.versionRefetches,
      };
    },
    async generateFile(input) {
      await refuseIncompleteGather(input);
      const f = await generate(input);
      return {
        outboundFileId: f.fileId, name: f.name, path: f.path, bytes: f.size, records: f.records, lines: f.lines,
        rejected: f.rejected, incomplete: f.incomplete, codes: f.codes,
      };
    },
    async deliverFile(input) {
      let path = String(input.counters['generate.path'] ?? '');
      const file = await input.db.unitOfWork((r) => r.transfers.get(input.tenantId, input.outboundFileId));
      // Generated on another machine (or its spool was cleaned): make it again here, same row and numbers.
      if (file?.status !== 'delivered' && !existsSync(path)) path = (await generate(input, input.outboundFileId)).path;
      const started = performance.now();
      const d = await deliverFile({ db: input.db, sessions: platform.sessions }, {
        tenantId: input.tenantId, fileId: input.outboundFileId, localPath: path, endpoint: env.endpoint(input.vendorId),
        onDelivered: async (r) => { await advanceMemberHashes(r, input.tenantId, input.outboundFileId); },
      });
      const seconds = (performance.now() - started) / 1000;
      return { remotePath: d.remotePath, bytes: d.size, bytesSent: d.bytesSent, attempts: d.attempts, seconds: round(seconds, 3) };
    },
    async pollInbox({ db, tenantId, vendorId }) {
      const found: Array<{ fileId: string; answersFileId: string | null }> = [];
      const spec = (await ingestSpec(db, tenantId, vendorId)).spec;
      const result = await pollInbox({ db, sessions: platform.sessions, spoolDir: env.spoolDir }, {
        tenantId, endpoint: env.endpoint(vendorId), mine: (name) => mayBelongToTenant(spec, name, tenantId, vendorId),
        correlate: async ({ name, path }) => correlate(db, { tenantId, vendorId, name, path, compiled: await ingestSpec(db, tenantId, vendorId) }),
        handOn: async (file) => { found.push({ fileId: file.fileId, answersFileId: file.answersFileId }); },
      });
      for (const r of result.rejected) platform.log.warn({ vendorId, file: r.name }, `response rejected at pickup: ${r.error}`);
      return found;
    },
    async ingestFile(input) {
      const s = await ingest(input, { pass1Only: true });
      const cp = await input.db.unitOfWork((r) => r.ingest.getCheckpoint(input.responseFileId));
      return { status: s?.status ?? cp?.status ?? 'unknown', received: cp?.received ?? 0, rejected: cp?.rejected ?? 0, reason: cp?.reason ?? null };
    },
    async applyFile(input) {
      const s = (await ingest(input, { pass1Only: false }))!;
      const c = s.reconciliation;
      return { status: s.status, applied: c.applied, merged: c.merged, conflicted: c.conflicted, skipped: c.skipped, rejected: c.rejected };
    },
    async reconcileCycle(input) {
      const c = await reconcileFile(input.db, { fileId: input.responseFileId, reportDir, reportName: `${input.cycleId}-discrepancies.csv` });
      return { ...c };
    },
    async ingestUnsolicited({ db, tenantId, vendorId, fileId }) {
      const { name, path } = await response(db, fileId);
      const s = await ingestFile({ db, tenantId, vendorId, path, name, spec: await ingestSpec(db, tenantId, vendorId), answersFileId: null, checkUrl: env.urlChecker(vendorId) });
      return { status: s.status, ...s.reconciliation };
    },
    async responseWindowMs(_tenantId, vendorId) {
      return env.responseWindowMs(vendorId);
    },
  };
}

const STOP_AT_APPLY = Symbol('stop at apply');
const round = (n: number, digits: number) => Number(n.toFixed(digits));

export function openOrchestrator(platform: Platform, stages?: PipelineStages): Orchestrator & { preflight(vendorIds: readonly string[]): void; close(): Promise<void> } {
  const { cycles, queue } = platform.config;
  const env = openPipelineEnvironment(platform.config);
  const orchestrator = createOrchestrator({
    db: platform.db, queue: platform.queue, stages: stages ?? pipelineStages(platform, env),
    leaseMs: cycles.leaseMs, maxAttempts: cycles.maxAttempts, pickupIntervalMs: cycles.pickupIntervalMs,
    defaultResponseWindowMs: cycles.defaultResponseWindowMs,
    backoff: { attempts: queue.attempts, backoffMs: queue.backoffMs, maxBackoffMs: queue.maxBackoffMs, concurrency: queue.concurrency },
  });
  return {
    ...orchestrator,
    /**
     * Fails with the configuration error a run's first job would meet (no internal services bound, an
     * unknown vendor), before anything is recorded: for a process that runs the jobs itself.
     */
    preflight(vendorIds: readonly string[]) {
      env.connectors();
      for (const v of vendorIds) env.endpoint(v);
    },
    close: () => env.close(),
  };
}

/** Makes this process a worker: consumes jobs and runs the reconciler until `stop`. */
export async function startWorking(platform: Platform, orchestrator: Orchestrator, onError: (e: unknown) => void): Promise<{ stop(): Promise<void> }> {
  await platform.queue.work(bindHandlers(orchestrator.jobs()));
  const loop = orchestrator.startReconciler(platform.config.cycles.reconcileIntervalMs, onError);
  return { stop: () => loop.stop() };
}
