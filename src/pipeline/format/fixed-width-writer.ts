import type { VendorSpec } from '../../vendors/spec-schema.js';
import { compileField, type FieldFn, type FieldRefusal } from './fixed-width-field.js';
import { LineLayout, type Cell } from './line-layout.js';
import { compileLineReader, type LineReader } from './line-reader.js';
import type { MaintenanceCode, OutboundRecord } from './outbound-record.js';
import { RecordWriter, type FileFacts, type Rendered, type WriterOptions } from './record-writer.js';

/** Per column: the laid-out write-time field, why it cannot be written, or null for a stored column. */
type DeferredFields = { ok: true; texts: Array<string | FieldRefusal | null> } | FieldRefusal;

/**
 * Fixed-width records: each field exactly `width` bytes of the spec's encoding, padded and aligned,
 * too-long values cut or refused per field, characters the encoding lacks transliterated, replaced
 * or refused, decimals written with an implied point when asked (`fixed-width-field.ts`). Header,
 * detail and trailer are separate record types (a constant first column usually says which).
 * Fields are compiled once per file; write-time fields are laid out once per maintenance code.
 */
export class FixedWidthWriter extends RecordWriter {
  private readonly layout: LineLayout;
  private readonly eol: string;
  private readonly fields: FieldFn[];
  private readonly readLine: LineReader;
  private readonly values: Array<string | null>;
  private readonly deferredByCode = new Map<MaintenanceCode, DeferredFields>();

  constructor(private readonly spec: VendorSpec, facts: FileFacts, settings: Record<string, unknown>, options: WriterOptions = {}) {
    super(spec.outbound.encoding, options);
    this.layout = new LineLayout(spec.outbound, facts, settings);
    this.eol = spec.outbound.lineEnding === 'crlf' ? '\r\n' : '\n';
    this.fields = this.layout.detail.map((col) => compileField(col, spec));
    this.readLine = compileLineReader(this.layout.detail);
    this.values = new Array<string | null>(this.layout.detail.length).fill(null);
  }

  protected renderHeader(): string {
    const h = this.layout.headerLine();
    return h ? this.fixedRecord(h, 'header') : '';
  }

  protected renderTrailer(): string {
    const t = this.layout.trailerLine(this.stats);
    return t ? this.fixedRecord(t, 'trailer') : '';
  }

  render(record: OutboundRecord): Rendered {
    if (record.image.kind !== 'lines') throw new Error('a fixed-width writer needs a lines image');
    const deferred = this.deferredFields(record.code);
    if (!deferred.ok) return deferred;
    const lines = record.image.lines;
    const { fields, values } = this;
    let text = '';
    for (let k = 0; k < lines.length; k++) {
      this.readLine(lines[k]!, values);
      for (let i = 0; i < fields.length; i++) {
        const f = deferred.texts[i] ?? fields[i]!(values[i]!);
        if (typeof f !== 'string') return f;
        text += f;
      }
      text += this.eol;
    }
    for (let k = 0; k < lines.length; k++) this.layout.count(lines[k]!);
    return { ok: true, text, lines: lines.length, dependents: lines.length - 1 };
  }

  /** Write-time fields, laid out once per maintenance code. */
  private deferredFields(code: MaintenanceCode): DeferredFields {
    const known = this.deferredByCode.get(code);
    if (known) return known;
    const d = this.layOutDeferred(code);
    this.deferredByCode.set(code, d);
    return d;
  }

  private layOutDeferred(code: MaintenanceCode): DeferredFields {
    const v = this.layout.deferredValues(code);
    if (!v.ok) return v;
    // A field that cannot be laid out is reported at its place in the line, as for a stored column.
    const texts = this.layout.detail.map((col, i) => (col.kind === 'deferred' ? this.fields[i]!(v.values[i]!) : null));
    return { ok: true, texts };
  }

  private fixedRecord(cells: Cell[], what: string): string {
    let text = '';
    for (const cell of cells) {
      const f = compileField(cell.col, this.spec)(cell.value);
      if (typeof f !== 'string') throw new Error(`${what} ${f.message}`);
      text += f;
    }
    return text + this.eol;
  }
}
