import { fitEncoding, type Encoding } from './charset.js';
import { formatCell, type CompiledColumn } from './columns.js';
import { neutraliseCell, type InjectionPolicy } from './csv-injection.js';
import { compileLineReader } from './line-reader.js';

/**
 * The CSV cell and row encoders, compiled once per file from the column plan.
 *
 * A wide vendor file has a couple of hundred cells a line and millions of lines, so the per-cell
 * work decides the writer's speed. Each column carries flags for the steps its cells need, read
 * once: formatting only for dates and decimals, the formula-character check as a charCode
 * comparison and only on text columns, transliteration only for a narrow encoding, and the quoting
 * test as one precompiled character-class regex. Values come from `line-reader.ts` (field loads by
 * index, no key lookups); values decided at write time (maintenance code, file facts) arrive
 * already encoded, once per code. (A row function generated as source was tried: as fast once
 * optimised, but a couple of hundred columns took TurboFan about a second to compile.)
 */
export interface CsvDialect {
  delimiter: string;
  eol: string;
  always: boolean;
  injection: { policy: InjectionPolicy; prefix: string };
  encoding: Encoding;
}

/** A compiled detail row: the line's text (with its line ending), or the index of the column that refused it. */
export type CsvRowFn = (line: Record<string, string | null>, deferred: ReadonlyArray<string | null>) => string | number;

export interface CsvEncoders {
  /** Quotes a header/trailer cell (no neutralisation: those values are our own). */
  quote(text: string): string;
  /** Detail cell `index` as written, or null when the injection policy refuses it. */
  cell(index: number, value: string | null): string | null;
  row: CsvRowFn;
}

const escapeClass = (ch: string) => ch.replace(/[\\\]^-]/g, '\\$&');

export function compileCsv(columns: readonly CompiledColumn[], d: CsvDialect): CsvEncoders {
  const needsQuote = new RegExp(`["\\r\\n${escapeClass(d.delimiter)}]`);
  const quote = (t: string) => (d.always || needsQuote.test(t) ? `"${t.replace(/"/g, '""')}"` : t);
  const narrow = d.encoding !== 'utf-8';
  const { policy, prefix } = d.injection;
  const neutralise = (t: string) => neutraliseCell(t, policy, prefix);
  const fit = (t: string) => fitEncoding(t, d.encoding, 'transliterate', '?')!;

  // Per column, the steps its cells need (write-time columns are encoded once per code, through `cell`).
  const FORMAT = 1; const TEXT = 2;
  const steps = Uint8Array.from(columns, (c) => (c.plain ? 0 : FORMAT) | (c.numeric ? 0 : TEXT));
  const deferredAt = Uint8Array.from(columns, (c) => (c.kind === 'deferred' ? 1 : 0));
  const empty = d.always ? '""' : '';
  const { delimiter, eol, always } = d;
  const count = columns.length;
  const quoteAll = /"/g;

  const cell = (i: number, v: string | null): string | null => {
    if (v === null) return empty;
    const f = steps[i]!;
    if (f & FORMAT) v = formatCell(columns[i]!, v);
    if (f & TEXT && v.length > 0) {
      const c = v.charCodeAt(0); // = + - @ tab CR
      if (c === 61 || c === 43 || c === 45 || c === 64 || c === 9 || c === 13) {
        const n = neutralise(v);
        if (n === null) return null;
        v = n;
      }
    }
    if (narrow) v = fit(v);
    return always || needsQuote.test(v) ? `"${v.replace(quoteAll, '""')}"` : v;
  };

  const read = compileLineReader(columns);
  const values = new Array<string | null>(count).fill(null);
  const row: CsvRowFn = (line, deferred) => {
    read(line, values);
    let s = '';
    for (let i = 0; i < count; i++) {
      const t = deferredAt[i] ? deferred[i]! : cell(i, values[i]!);
      if (t === null) return i;
      s += i > 0 ? delimiter + t : t;
    }
    return s + eol;
  };
  return { quote, cell, row };
}
