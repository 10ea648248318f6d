/**
 * Lean entry of the simulator child process: the `sim start` command alone, without the rest of the
 * CLI (database engines, queue, SFTP), so the child starts faster and holds less memory than
 * `vendorflow sim start`, which runs the very same command.
 */
import { Command, CommanderError } from 'commander';
import { registerSim } from '../cli/commands/sim.js';
import { isVendorflowError } from '../shared/errors.js';

const program = new Command('vendorflow').option('--json').exitOverride();
registerSim(program, { out: process.stdout });
try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) process.exitCode = e.exitCode === 0 ? 0 : 2;
  else {
    process.stderr.write(`vendorflow: ${isVendorflowError(e) ? e.message : `internal error: ${(e as Error)?.message ?? e}`}\n`);
    process.exitCode = isVendorflowError(e) ? e.exitCode : 70;
  }
}
