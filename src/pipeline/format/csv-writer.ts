import type { VendorSpec } from '../../vendors/spec-schema.js';
import { fitEncoding } from './charset.js';
import { neutraliseCell } from './csv-injection.js';
import { LineLayout, type Cell } from './line-layout.js';
import { formatCell } from './columns.js';
import type { OutboundRecord } from './outbound-record.js';
import { RecordWriter, type FileFacts, type Rendered, type WriterOptions } from './record-writer.js';

/**
 * RFC 4180 CSV: fields quoted only when they hold the delimiter, a quote or a line break (or always,
 * if the vendor asks), quotes doubled, the spec's line ending and encoding, an optional header row of
 * column names, and optional header/trailer records.
 */
export class CsvWriter extends RecordWriter {
  private readonly layout: LineLayout;
  private readonly delimiter: string;
  private readonly always: boolean;
  private readonly eol: string;
  private readonly needsQuote: RegExp;

  constructor(private readonly spec: VendorSpec, facts: FileFacts, settings: Record<string, unknown>, options: WriterOptions = {}) {
    super(spec.outbound.encoding, options);
    const csv = spec.outbound.csv;
    this.layout = new LineLayout(spec.outbound, facts, settings);
    this.delimiter = csv?.delimiter ?? ',';
    this.always = csv?.quoting === 'always';
    this.eol = spec.outbound.lineEnding === 'crlf' ? '\r\n' : '\n';
    this.needsQuote = new RegExp(`["\\r\\n${this.delimiter.replace(/[\\\]^-]/g, '\\$&')}]`);
  }

  protected renderHeader(): string {
    let text = '';
    const h = this.layout.headerLine();
    if (h) text += this.row(h.map((c) => this.quote(formatCell(c.col, c.value))));
    if (this.spec.outbound.csv?.header ?? true) text += this.row(this.layout.detail.map((c) => this.quote(c.name)));
    return text;
  }

  protected renderTrailer(): string {
    const t = this.layout.trailerLine(this.stats);
    return t ? this.row(t.map((c) => this.quote(formatCell(c.col, c.value)))) : '';
  }

  render(record: OutboundRecord): Rendered {
    if (record.image.kind !== 'lines') throw new Error('a CSV writer needs a lines image');
    const injection = this.spec.outbound.csv?.injection ?? { policy: 'prefix' as const, prefix: "'" };
    let text = '';
    for (const line of record.image.lines) {
      const r = this.layout.detailLine(line, record.code);
      if (!r.ok) return r;
      const fields: string[] = [];
      for (const cell of r.cells) {
        const f = this.field(cell, injection.policy, injection.prefix);
        if (f === null) return { ok: false, column: cell.col.name, message: `${cell.col.name}: a cell starting with a formula character is refused (injection policy reject)` };
        fields.push(f);
      }
      text += this.row(fields);
    }
    for (const line of record.image.lines) this.layout.count(line);
    return { ok: true, text, lines: record.image.lines.length, dependents: record.image.lines.length - 1 };
  }

  private field(cell: Cell, policy: 'prefix' | 'strip' | 'reject', prefix: string): string | null {
    let text = formatCell(cell.col, cell.value);
    if (!cell.col.numeric) {
      const safe = neutraliseCell(text, policy, prefix);
      if (safe === null) return null;
      text = safe;
    }
    const fitted = fitEncoding(text, this.spec.outbound.encoding, 'transliterate', '?')!;
    return this.quote(fitted);
  }

  private quote(text: string): string {
    if (this.always || this.needsQuote.test(text)) return `"${text.replaceAll('"', '""')}"`;
    return text;
  }

  private row(fields: string[]): string {
    return fields.join(this.delimiter) + this.eol;
  }
}
