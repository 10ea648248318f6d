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
  /** A detail cell as written, or null when the injection policy refuses it. */
  cell(col: CompiledColumn, value: string | null): string | null;
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

  const cell = (col: CompiledColumn, value: string | null): string | null => {
    let t = value === null ? '' : col.plain ? value : formatCell(col, value);
    if (!col.numeric && t.length > 0) {
      const n = neutralise(t);
      if (n === null) return null;
      t = n;
    }
    if (narrow) t = fit(t);
    return quote(t);
  };

  // Per column: its key, and flags telling which steps its cells need.
  const DEFERRED = 1; const FORMAT = 2; const TEXT = 4;
  const flags = Int32Array.from(columns, (c) => (c.kind === 'deferred' ? DEFERRED : (c.plain ? 0 : FORMAT) | (c.numeric ? 0 : TEXT)));
  const empty = d.always ? '""' : '';
  const { delimiter, eol, always } = d;
  const count = columns.length;
  const quoteAll = /"/g;
  /** One detail cell as written; null when the injection policy refuses it. */
  const encode = (v: string | null, i: number, f: number): string | null => {
    if (v == null) return empty;
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
      const f = flags[i]!;
      const t = f === DEFERRED ? deferred[i]! : encode(values[i]!, i, f);
      if (t === null) return i;
      s += i > 0 ? delimiter + t : t;
    }
    return s + eol;
  };
  return { quote, cell, row };
}
