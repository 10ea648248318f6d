import type { VendorSpec } from '../../vendors/spec-schema.js';
import { byteLength, cutToBytes, fitEncoding, type Encoding } from './charset.js';
import { formatCell } from './columns.js';
import { LineLayout, type Cell } from './line-layout.js';
import type { OutboundRecord } from './outbound-record.js';
import { RecordWriter, type FileFacts, type Rendered, type WriterOptions } from './record-writer.js';

/**
 * Fixed-width records: each field exactly `width` bytes of the spec's encoding, padded and aligned
 * (numbers right-aligned with zeros by default, text left-aligned with spaces), too-long values cut
 * or refused per field, characters the encoding lacks transliterated, replaced or refused, decimals
 * written with an implied point when asked. Header, detail and trailer are separate record types
 * (a constant first column usually says which).
 */
const CONTROL = /[\x00-\x1f\x7f]/;
const CONTROL_ALL = /[\x00-\x1f\x7f]/g;

export class FixedWidthWriter extends RecordWriter {
  private readonly layout: LineLayout;
  private readonly eol: string;
  private readonly encoding: Encoding;

  constructor(private readonly spec: VendorSpec, facts: FileFacts, settings: Record<string, unknown>, options: WriterOptions = {}) {
    super(spec.outbound.encoding, options);
    this.layout = new LineLayout(spec.outbound, facts, settings);
    this.eol = spec.outbound.lineEnding === 'crlf' ? '\r\n' : '\n';
    this.encoding = spec.outbound.encoding;
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
    let text = '';
    for (const line of record.image.lines) {
      const r = this.layout.detailLine(line, record.code);
      if (!r.ok) return r;
      for (const cell of r.cells) {
        const f = this.field(cell);
        if (!f.ok) return f;
        text += f.text;
      }
      text += this.eol;
    }
    for (const line of record.image.lines) this.layout.count(line);
    return { ok: true, text, lines: record.image.lines.length, dependents: record.image.lines.length - 1 };
  }

  private fixedRecord(cells: Cell[], what: string): string {
    let text = '';
    for (const cell of cells) {
      const f = this.field(cell);
      if (!f.ok) throw new Error(`${what} ${f.message}`);
      text += f.text;
    }
    return text + this.eol;
  }

  private field(cell: Cell): { ok: true; text: string } | { ok: false; column: string; message: string } {
    const c = cell.col.spec;
    const name = cell.col.name;
    const width = c.width!;
    const fw = this.spec.outbound.fixedWidth;
    const fitted = fitEncoding(formatCell(cell.col, cell.value), this.encoding, fw?.unmappable ?? 'transliterate', fw?.replacement ?? '?');
    if (fitted === null) return { ok: false, column: name, message: `${name}: a character cannot be written in ${this.encoding}` };
    // A line break inside a field would split the record: control characters become spaces (or refuse the record).
    if (CONTROL.test(fitted) && fw?.unmappable === 'error') return { ok: false, column: name, message: `${name}: holds a control character` };
    let text = fitted.replace(CONTROL_ALL, ' ');
    if (byteLength(text, this.encoding) > width) {
      if (c.overflow !== 'truncate' || cell.col.numeric) {
        return { ok: false, column: name, message: `${name}: value is longer than ${width} bytes` };
      }
      text = cutToBytes(text, width, this.encoding);
    }
    const align = c.align ?? (cell.col.numeric ? 'right' : 'left');
    const pad = c.pad ?? (cell.col.numeric && cell.value !== null ? '0' : ' ');
    const room = width - byteLength(text, this.encoding);
    if (room === 0) return { ok: true, text };
    const fill = pad.repeat(room);
    if (align === 'left') return { ok: true, text: text + fill };
    // Zero padding goes after a minus sign: -0001250, not 000-1250.
    if (pad === '0' && text.startsWith('-')) return { ok: true, text: `-${fill}${text.slice(1)}` };
    return { ok: true, text: fill + text };
  }
}
