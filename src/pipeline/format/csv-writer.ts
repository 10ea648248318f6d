import type { VendorSpec } from '../../vendors/spec-schema.js';
import { fitEncoding } from './charset.js';
import { isDangerousCell, neutraliseCell, type InjectionPolicy } from './csv-injection.js';
import { LineLayout } from './line-layout.js';
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
  private readonly injection: { policy: InjectionPolicy; prefix: string };
  private readonly narrow: boolean;

  constructor(private readonly spec: VendorSpec, facts: FileFacts, settings: Record<string, unknown>, options: WriterOptions = {}) {
    super(spec.outbound.encoding, options);
    const csv = spec.outbound.csv;
    this.layout = new LineLayout(spec.outbound, facts, settings);
    this.delimiter = csv?.delimiter ?? ',';
    this.always = csv?.quoting === 'always';
    this.eol = spec.outbound.lineEnding === 'crlf' ? '\r\n' : '\n';
    this.injection = csv?.injection ?? { policy: 'prefix', prefix: "'" };
    this.narrow = spec.outbound.encoding !== 'utf-8';
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
    const columns = this.layout.detail;
    let text = '';
    for (const line of record.image.lines) {
      const values = this.layout.detailValues(line, record.code);
      if (!Array.isArray(values)) return values;
      for (let i = 0; i < columns.length; i++) {
        const col = columns[i]!;
        const v = values[i]!;
        let cell = v === null ? '' : col.plain ? v : formatCell(col, v);
        if (!col.numeric && cell.length > 0 && isDangerousCell(cell)) {
          const safe = neutraliseCell(cell, this.injection.policy, this.injection.prefix);
          if (safe === null) return { ok: false, column: col.name, message: `${col.name}: a cell starting with a formula character is refused (injection policy reject)` };
          cell = safe;
        }
        if (this.narrow) cell = fitEncoding(cell, this.spec.outbound.encoding, 'transliterate', '?')!;
        if (i > 0) text += this.delimiter;
        text += this.always || this.needsQuote.test(cell) ? `"${cell.replaceAll('"', '""')}"` : cell;
      }
      text += this.eol;
    }
    for (const line of record.image.lines) this.layout.count(line);
    return { ok: true, text, lines: record.image.lines.length, dependents: record.image.lines.length - 1 };
  }

  private quote(text: string): string {
    if (this.always || this.needsQuote.test(text)) return `"${text.replaceAll('"', '""')}"`;
    return text;
  }

  private row(fields: string[]): string {
    return fields.join(this.delimiter) + this.eol;
  }
}
