import { bindHandlers } from '../jobs/bind-handlers.js';
import { createOrchestrator, type Orchestrator } from '../pipeline/run-cycle.js';
import type { PipelineStages } from '../pipeline/stage-ports.js';
import { NonRetryableError } from '../shared/errors.js';
import type { Platform } from './platform.js';

/**
 * Wires each stage of the run to its use-case. A stage whose use-case has not landed yet fails its
 * job with a clear, non-retried error naming what is missing; the cycle then shows it in
 * `cycle status` and can be resumed once it is there.
 */
function missing(stage: string, where: string): never {
  throw new NonRetryableError('SERVICE_UNAVAILABLE', `stage ${stage} is not available in this build (expected ${where})`);
}

export function pipelineStages(_platform: Platform): PipelineStages {
  return {
    // planRun (src/pipeline/plan/plan-run.ts) has landed but needs the tenant's HRIS OrgSource from src/connectors.
    async planRun() { return missing('plan', 'an HRIS OrgSource from src/connectors for planRun in src/pipeline/plan/plan-run.ts'); },
    async gatherBatch() { return missing('gather', 'gatherBatch in src/pipeline/gather'); },
    async generateFile() { return missing('generate', 'generateFile in src/pipeline/format'); },
    async deliverFile() { return missing('deliver', 'vendor endpoint wiring for deliverFile in src/pipeline/deliver/deliver-file.ts'); },
    async pollInbox() { return missing('pickup', 'pollInbox in src/pipeline/pickup'); },
    async ingestFile() { return missing('ingest', 'ingestFile in src/pipeline/ingest'); },
    async applyFile() { return missing('apply', 'applyFile in src/pipeline/apply'); },
    async reconcileCycle() { return missing('reconcile', 'reconcileCycle in src/pipeline/reconcile'); },
    async ingestUnsolicited() { return missing('ingest', 'ingestFile in src/pipeline/ingest'); },
    async responseWindowMs() { return null; },
  };
}

export function openOrchestrator(platform: Platform, stages: PipelineStages = pipelineStages(platform)): Orchestrator {
  const { cycles, queue } = platform.config;
  return createOrchestrator({
    db: platform.db, queue: platform.queue, stages,
    leaseMs: cycles.leaseMs, maxAttempts: cycles.maxAttempts, pickupIntervalMs: cycles.pickupIntervalMs,
    defaultResponseWindowMs: cycles.defaultResponseWindowMs,
    backoff: { attempts: queue.attempts, backoffMs: queue.backoffMs, maxBackoffMs: queue.maxBackoffMs, concurrency: queue.concurrency },
  });
}

/** Makes this process a worker: consumes jobs and runs the reconciler until `stop`. */
export async function startWorking(platform: Platform, orchestrator: Orchestrator, onError: (e: unknown) => void): Promise<{ stop(): Promise<void> }> {
  await platform.queue.work(bindHandlers(orchestrator.jobs()));
  const loop = orchestrator.startReconciler(platform.config.cycles.reconcileIntervalMs, onError);
  return { stop: () => loop.stop() };
}
