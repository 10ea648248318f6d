import type { Command } from 'commander';
import { runWorker } from '../../main/worker.js';
import { globalOptions } from '../output.js';
import type { CliContext } from '../program.js';

export function registerWorker(program: Command, ctx: CliContext): void {
  program.command('worker')
    .description('Run jobs from the shared queue (REDIS_URL) and the reconciler, until SIGINT/SIGTERM')
    .action(async (_o: unknown, cmd: Command) => {
      const g = globalOptions(cmd);
      await runWorker({ configFile: g.config, log: (line) => ctx.err.write(`${line}\n`) });
    });
}
