import type { VendorSpec } from '../../vendors/spec-schema.js';
import { compileCsv, type CsvEncoders } from './csv-row.js';
import { LineLayout } from './line-layout.js';
import { formatCell } from './columns.js';
import type { MaintenanceCode, OutboundRecord } from './outbound-record.js';
import { RecordWriter, type FileFacts, type Rendered, type WriterOptions } from './record-writer.js';

type DeferredCells = { ok: true; cells: Array<string | null> } | { ok: false; column: string; message: string };

/**
 * RFC 4180 CSV: fields quoted only when they hold the delimiter, a quote or a line break (or always,
 * if the vendor asks), quotes doubled, the spec's line ending and encoding, an optional header row of
 * column names, and optional header/trailer records. Detail rows go through a row function compiled
 * once per file (`csv-row.ts`).
 */
export class CsvWriter extends RecordWriter {
  private readonly layout: LineLayout;
  private readonly eol: string;
  private readonly delimiter: string;
  private readonly encoders: CsvEncoders;
  private readonly deferredByCode = new Map<MaintenanceCode, DeferredCells>();

  constructor(private readonly spec: VendorSpec, facts: FileFacts, settings: Record<string, unknown>, options: WriterOptions = {}) {
    super(spec.outbound.encoding, options);
    const csv = spec.outbound.csv;
    this.layout = new LineLayout(spec.outbound, facts, settings);
    this.delimiter = csv?.delimiter ?? ',';
    this.eol = spec.outbound.lineEnding === 'crlf' ? '\r\n' : '\n';
    this.encoders = compileCsv(this.layout.detail, {
      delimiter: this.delimiter, eol: this.eol, always: csv?.quoting === 'always',
      injection: csv?.injection ?? { policy: 'prefix', prefix: "'" }, encoding: spec.outbound.encoding,
    });
  }

  protected renderHeader(): string {
    let text = '';
    const h = this.layout.headerLine();
    if (h) text += this.row(h.map((c) => this.encoders.quote(formatCell(c.col, c.value))));
    if (this.spec.outbound.csv?.header ?? true) text += this.row(this.layout.detail.map((c) => this.encoders.quote(c.name)));
    return text;
  }

  protected renderTrailer(): string {
    const t = this.layout.trailerLine(this.stats);
    return t ? this.row(t.map((c) => this.encoders.quote(formatCell(c.col, c.value)))) : '';
  }

  render(record: OutboundRecord): Rendered {
    if (record.image.kind !== 'lines') throw new Error('a CSV writer needs a lines image');
    const deferred = this.deferredCells(record.code);
    if (!deferred.ok) return deferred;
    const lines = record.image.lines;
    let text = '';
    for (let k = 0; k < lines.length; k++) {
      const r = this.encoders.row(lines[k]!, deferred.cells);
      if (typeof r === 'number') return this.refused(r);
      text += r;
    }
    for (let k = 0; k < lines.length; k++) this.layout.count(lines[k]!);
    return { ok: true, text, lines: lines.length, dependents: lines.length - 1 };
  }

  /** Cells decided at write time, encoded once per maintenance code (null: refused by the injection policy). */
  private deferredCells(code: MaintenanceCode): DeferredCells {
    let d = this.deferredByCode.get(code);
    if (!d) {
      const v = this.layout.deferredValues(code);
      d = v.ok ? { ok: true, cells: this.layout.detail.map((col, i) => (col.kind === 'deferred' ? this.encoders.cell(i, v.values[i]!) : null)) } : v;
      this.deferredByCode.set(code, d);
    }
    return d;
  }

  private refused(index: number): Rendered {
    const name = this.layout.detail[index]!.name;
    return { ok: false, column: name, message: `${name}: a cell starting with a formula character is refused (injection policy reject)` };
  }

  private row(fields: string[]): string {
    return fields.join(this.delimiter) + this.eol;
  }
}
