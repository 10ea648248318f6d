import type { Command } from 'commander';
import type { GlobalOptions } from './program.js';

/** Options of a command merged with the program's global ones. */
export function globalOptions(cmd: Command): GlobalOptions {
  return cmd.optsWithGlobals() as GlobalOptions;
}

export function printJson(out: NodeJS.WritableStream, value: unknown): void {
  out.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Aligned `label  value` lines for human summaries. */
export function printTable(out: NodeJS.WritableStream, rows: Array<[string, string | number]>): void {
  const width = Math.max(...rows.map(([k]) => k.length));
  for (const [k, v] of rows) out.write(`  ${k.padEnd(width)}  ${v}\n`);
}
