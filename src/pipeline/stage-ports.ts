import type { Database } from '../engines/database/port.js';

/**
 * What the run and its cycles need from each stage's use-case (Gather, Formats, Transfer, Ingest).
 * Every `db` handed in is fenced: each unit of work first re-checks this worker's lease token, so a
 * worker that lost its lease (stalled, frozen, partitioned) commits nothing. Use-cases must write
 * idempotently: a stage may run again after a crash.
 */
export interface StageInput { db: Database; tenantId: string; runId: string; signal: AbortSignal }
export interface CycleStageInput extends StageInput { cycleId: string; vendorId: string; kind: string; counters: Record<string, unknown> }
export type Counts = Record<string, unknown>;

export interface PipelineStages {
  /** Org units -> batch rows of the run (status 'pending'); re-running replaces, never duplicates. */
  planRun(input: StageInput & { gatherMode: string }): Promise<Counts>;
  /** One batch's snapshots, stored idempotently; returns its counts (incomplete employees included). */
  gatherBatch(input: StageInput & { batchId: string; gatherMode: string }): Promise<Counts>;
  /** The vendor file from the run's snapshots, spooled; returns at least `outboundFileId`. */
  generateFile(input: CycleStageInput): Promise<Counts & { outboundFileId: string }>;
  /** Uploads the outbound file (resumable); marking it delivered advances the change-file hashes. */
  deliverFile(input: CycleStageInput & { outboundFileId: string }): Promise<Counts>;
  /** Polls one vendor's inbox; each new file is recorded (files, direction 'in', `answers_file_id` when it correlates). */
  pollInbox(input: { db: Database; tenantId: string; vendorId: string; signal: AbortSignal }): Promise<Array<{ fileId: string; answersFileId: string | null }>>;
  /** Pass 1 over the response: row errors, quarantine decision. */
  ingestFile(input: CycleStageInput & { responseFileId: string }): Promise<Counts>;
  /** Pass 2: optimistic-locked apply in checkpointed chunks. */
  applyFile(input: CycleStageInput & { responseFileId: string }): Promise<Counts>;
  /** Counts, identities and discrepancies of the cycle. */
  reconcileCycle(input: CycleStageInput & { responseFileId: string }): Promise<Counts>;
  /** A response that answers no outbound file, ingested against current versions with its own counts. */
  ingestUnsolicited(input: { db: Database; tenantId: string; vendorId: string; fileId: string; signal: AbortSignal }): Promise<Counts>;
  /** How long the vendor has to answer (its spec's SLA). */
  responseWindowMs(tenantId: string, vendorId: string): Promise<number | null>;
}
