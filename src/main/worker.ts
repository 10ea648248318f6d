import { loadConfig } from '../config/load-config.js';
import { openOrchestrator, startWorking } from './orchestration.js';
import { openPlatform } from './platform.js';
import { startScheduling } from './scheduling.js';

/**
 * The worker process entry (`vendorflow worker` runs the same): consumes jobs from the shared queue
 * and runs the reconciler, until SIGINT/SIGTERM, when it finishes its running jobs and exits.
 */
export async function runWorker(opts: { configFile?: string; log: (line: string) => void }): Promise<void> {
  const platform = await openPlatform(loadConfig({ env: process.env, file: opts.configFile }));
  const orchestrator = openOrchestrator(platform);
  const working = await startWorking(platform, orchestrator, (e) => opts.log(`reconciler: ${(e as Error).message}`));
  const scheduling = startScheduling(platform, orchestrator, opts.log);
  opts.log(`worker ${process.pid} started (${platform.queue.kind} queue, ${platform.db.engine})`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  opts.log(`worker ${process.pid} stopping`);
  await scheduling.stop();
  await working.stop();
  await orchestrator.close();
  await platform.close();
}
