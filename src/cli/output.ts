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

/** A table with a header row: text left-aligned, columns holding numbers right-aligned. */
export function printColumns(out: NodeJS.WritableStream, head: string[], rows: Array<Array<string | number>>): void {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => String(row[i] ?? '').length)));
  const numeric = head.map((_, i) => rows.some((row) => typeof row[i] === 'number'));
  const line = (cells: Array<string | number>) =>
    `  ${cells.map((c, i) => (numeric[i] ? String(c).padStart(widths[i]!) : String(c).padEnd(widths[i]!))).join('  ')}`.trimEnd();
  out.write(`${line(head)}\n`);
  for (const row of rows) out.write(`${line(row)}\n`);
}

export const formatBytes = (n: number) => (n >= 1048576 ? `${(n / 1048576).toFixed(1)} MB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KB` : `${n} B`);
