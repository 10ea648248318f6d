import { VendorflowError } from '../../shared/errors.js';

/**
 * Streaming fixed-width reader: one record per line, fields cut at widths counted in bytes of the
 * file's encoding (a multi-byte UTF-8 character counts its bytes, as the vendor's writer did).
 * Lines may end in LF or CRLF and chunks may split anywhere; only a partial last line is carried,
 * bounded by `maxLineChars`. Values keep their padding: trimming is the normaliser's job.
 */
export interface FixedWidthReaderOptions {
  widths: readonly number[];
  /** How widths are counted: bytes of UTF-8, or one byte per character (Windows-1252, ASCII). */
  encoding: 'utf-8' | 'single-byte';
  /** Default: twice the record length + 1 KiB. */
  maxLineChars?: number;
}

export interface FixedWidthRecord {
  fields: string[];
  line: number;
  raw: string;
  /** A line shorter or longer than the layout. */
  malformed?: string;
}

const NON_ASCII = /[^\x00-\x7f]/;

export class FixedWidthReader {
  private readonly widths: readonly number[];
  private readonly total: number;
  private readonly utf8: boolean;
  private readonly maxLine: number;
  private carry = '';
  private line = 1;

  constructor(opts: FixedWidthReaderOptions) {
    if (opts.widths.length === 0 || opts.widths.some((w) => !Number.isInteger(w) || w < 1)) {
      throw new VendorflowError('SPEC_INVALID', 'fixed-width layout needs positive whole widths');
    }
    this.widths = opts.widths;
    this.total = opts.widths.reduce((a, b) => a + b, 0);
    this.utf8 = opts.encoding === 'utf-8';
    this.maxLine = opts.maxLineChars ?? this.total * 2 + 1024;
  }

  push(chunk: string): FixedWidthRecord[] {
    const s = this.carry + chunk;
    const out: FixedWidthRecord[] = [];
    let start = 0;
    for (let nl = s.indexOf('\n'); nl !== -1; nl = s.indexOf('\n', start)) {
      this.emit(s.slice(start, nl > start && s.charCodeAt(nl - 1) === 13 ? nl - 1 : nl), out);
      start = nl + 1;
    }
    this.carry = s.slice(start);
    if (this.carry.length > this.maxLine) {
      throw new VendorflowError('INPUT_INVALID', `line ${this.line}: longer than ${this.maxLine} characters without a line end`);
    }
    return out;
  }

  end(): FixedWidthRecord[] {
    const out: FixedWidthRecord[] = [];
    const last = this.carry.endsWith('\r') ? this.carry.slice(0, -1) : this.carry;
    this.carry = '';
    if (last.length > 0) this.emit(last, out);
    return out;
  }

  private emit(text: string, out: FixedWidthRecord[]): void {
    const line = this.line++;
    if (text.length === 0) return;
    if (text.length > this.maxLine) throw new VendorflowError('INPUT_INVALID', `line ${line}: longer than ${this.maxLine} characters`);
    const { fields, length } = this.utf8 && NON_ASCII.test(text) ? this.cutBytes(text) : this.cutChars(text);
    const record: FixedWidthRecord = { fields, line, raw: text };
    if (length !== this.total) record.malformed = `line is ${length} bytes, the layout is ${this.total}`;
    out.push(record);
  }

  private cutChars(text: string): { fields: string[]; length: number } {
    const fields: string[] = [];
    let at = 0;
    for (const w of this.widths) {
      fields.push(text.slice(at, at + w));
      at += w;
    }
    return { fields, length: text.length };
  }

  /** Cuts at byte offsets; a character straddling a boundary belongs to the field it starts in. */
  private cutBytes(text: string): { fields: string[]; length: number } {
    const fields: string[] = [];
    let k = 0; // char index
    let bytes = 0;
    for (const w of this.widths) {
      const from = k;
      const limit = bytes + w;
      while (k < text.length && bytes < limit) {
        const c = text.codePointAt(k)!;
        bytes += c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
        k += c >= 0x10000 ? 2 : 1;
      }
      fields.push(text.slice(from, k));
    }
    while (k < text.length) {
      const c = text.codePointAt(k)!;
      bytes += c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
      k += c >= 0x10000 ? 2 : 1;
    }
    return { fields, length: bytes };
  }
}
