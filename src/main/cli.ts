import { buildProgram, CommanderError, defaultContext } from '../cli/program.js';
import { isVendorflowError } from '../shared/errors.js';
import { openPlatform } from './platform.js';

/**
 * The CLI process entry. Errors become one line on stderr and an exit code (sysexits): 2 usage or
 * configuration, 65 bad input, 69 a service unavailable, 70 internal. No stack trace for the
 * expected ones; VENDORFLOW_DEBUG=1 prints it for the rest.
 */
export async function main(argv: string[]): Promise<void> {
  const program = buildProgram(defaultContext(openPlatform));
  try {
    await program.parseAsync(argv);
  } catch (e) {
    process.exitCode = exitCodeFor(e);
  }
}

function exitCodeFor(e: unknown): number {
  if (e instanceof CommanderError) {
    // Help and version are exits with code 0; everything else commander raises is usage.
    return e.exitCode === 0 ? 0 : 2;
  }
  if (isVendorflowError(e)) {
    process.stderr.write(`vendorflow: ${e.message}\n`);
    return e.exitCode;
  }
  process.stderr.write(`vendorflow: internal error: ${(e as Error)?.message ?? e}\n`);
  if (process.env.VENDORFLOW_DEBUG) process.stderr.write(`${(e as Error)?.stack}\n`);
  return 70;
}
