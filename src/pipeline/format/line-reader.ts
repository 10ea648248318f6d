import type { CompiledColumn } from './columns.js';

/**
 * Reads a detail line's stored values into an array in column order (write-time columns left as
 * they are), reusing the caller's array.
 *
 * Lines made by the record builder have the stored columns as keys, in column order, all with one
 * object shape: walked with for-in, V8 reads their fields by index, without a key lookup per cell
 * (a keyed read with a different key per column is the slow, megamorphic kind). Any other line (an
 * image stored under an older spec, keys reordered by jsonb) is read key by key.
 */
export type LineReader = (line: Record<string, string | null>, into: Array<string | null>) => void;

export function compileLineReader(columns: readonly CompiledColumn[]): LineReader {
  const keys = columns.map((c) => c.name);
  const stored = Uint8Array.from(columns, (c) => (c.kind === 'deferred' ? 0 : 1));
  const count = columns.length;

  const byKey: LineReader = (line, into) => {
    for (let i = 0; i < count; i++) if (stored[i]) into[i] = line[keys[i]!] ?? null;
  };

  return (line, into) => {
    let i = 0;
    for (const k in line) {
      while (i < count && !stored[i]) i++;
      if (i === count || k !== keys[i]) return byKey(line, into);
      into[i++] = line[k] ?? null;
    }
    while (i < count && !stored[i]) i++;
    if (i < count) byKey(line, into);
  };
}
