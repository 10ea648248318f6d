import { VendorflowError } from '../../shared/errors.js';

/**
 * Streaming RFC 4180 reader. Text arrives in chunks cut anywhere (inside a quoted field, between CR
 * and LF, inside a surrogate pair); a record is emitted only once its terminating newline (or the end
 * of input) has been seen, so chunk boundaries never change the result. An incomplete record is
 * carried into the next chunk and re-tokenised from its start; the carry is bounded by the record
 * limit, so memory is constant in the file size and a 10 MB field is an error, not an allocation.
 *
 * Scanning uses indexOf for the newline, quote and delimiter (native, vectorised) instead of a
 * per-character state machine: a record with no quote before its newline is split natively; one with
 * a quote is cut field by field, each field sliced straight out of the chunk.
 */
export interface CsvReaderOptions {
  /** One character; default ','. */
  delimiter?: string;
  /** Largest field, in characters; default 64 KiB. */
  maxFieldChars?: number;
  /** Most fields in one record; default 1,000. */
  maxColumns?: number;
  /** Largest record, in characters (bounds what is carried between chunks); default maxFieldChars × 4 + 64 KiB. */
  maxRecordChars?: number;
}

export interface CsvRecord {
  fields: string[];
  /** 1-based physical line on which the record starts (quoted newlines count). */
  line: number;
  /** The record's text without its line terminator. */
  raw: string;
  /** Set when the record is readable but not well-formed (text after a closing quote). */
  malformed?: string;
}

export type CsvStructureReason = 'UNCLOSED_QUOTE' | 'FIELD_TOO_LARGE' | 'TOO_MANY_COLUMNS' | 'RECORD_TOO_LARGE';

/** The file cannot be read further: it is quarantined, never half-applied. */
export class CsvStructureError extends VendorflowError {
  constructor(readonly reason: CsvStructureReason, readonly line: number, message: string) {
    super('INPUT_INVALID', `line ${line}: ${message}`);
    this.name = 'CsvStructureError';
  }
}

const QUOTE = 34;
const LF = 10;
const CR = 13;

export class CsvTokenizer {
  private readonly delim: string;
  private readonly delimCode: number;
  private readonly maxField: number;
  private readonly maxColumns: number;
  private readonly maxRecord: number;
  private carry = '';
  /** Line on which the carried (or next) record starts. */
  private line = 1;
  private ended = false;

  constructor(opts: CsvReaderOptions = {}) {
    this.delim = opts.delimiter ?? ',';
    if (this.delim.length !== 1 || this.delim === '"' || this.delim === '\n' || this.delim === '\r') {
      throw new VendorflowError('SPEC_INVALID', `CSV delimiter must be one character other than a quote or newline, got ${JSON.stringify(this.delim)}`);
    }
    this.delimCode = this.delim.charCodeAt(0);
    this.maxField = opts.maxFieldChars ?? 65536;
    this.maxColumns = opts.maxColumns ?? 1000;
    this.maxRecord = opts.maxRecordChars ?? this.maxField * 4 + 65536;
  }

  /** Tokenises a chunk; returns the records it completed. */
  push(chunk: string): CsvRecord[] {
    if (this.ended) throw new VendorflowError('INTERNAL', 'CsvTokenizer.push after end');
    if (chunk.length === 0) return [];
    // No record can complete without a newline: appending keeps byte-at-a-time input linear.
    if (this.carry.length > 0 && chunk.indexOf('\n') === -1) {
      this.carry += chunk;
      this.checkCarry();
      return [];
    }
    const out: CsvRecord[] = [];
    const s = this.carry.length > 0 ? this.carry + chunk : chunk;
    const used = this.tokenise(s, false, out);
    this.carry = used === s.length ? '' : s.slice(used);
    this.checkCarry();
    return out;
  }

  /** Flushes the last record (one without a final newline); an open quote here is a structural error. */
  end(): CsvRecord[] {
    if (this.ended) return [];
    this.ended = true;
    const out: CsvRecord[] = [];
    if (this.carry.length > 0) this.tokenise(this.carry, true, out);
    this.carry = '';
    return out;
  }

  private checkCarry(): void {
    if (this.carry.length <= this.maxRecord) return;
    const inQuote = this.carry.charCodeAt(0) === QUOTE || this.carry.includes(`${this.delim}"`);
    throw new CsvStructureError(inQuote ? 'FIELD_TOO_LARGE' : 'RECORD_TOO_LARGE', this.line,
      `a record longer than ${this.maxRecord} characters without its end (field limit ${this.maxField})`);
  }

  /** Emits every complete record of `s`; returns where the first incomplete one starts. */
  private tokenise(s: string, final: boolean, out: CsvRecord[]): number {
    const n = s.length;
    let i = 0;
    this.nextLf = -1;
    this.nextDelim = -1;
    let nextQuote = -1;
    while (i < n) {
      const start = i;
      if (this.nextLf < i) this.nextLf = indexOrEnd(s, '\n', i);
      if (nextQuote < i) nextQuote = indexOrEnd(s, '"', i);
      const lf = this.nextLf;
      if (nextQuote < lf) {
        // A quote before the newline: field by field (the newline may be inside quotes).
        const next = this.quotedRecord(s, start, final, out);
        if (next < 0) return this.incomplete(start, this.line, n - start);
        i = next;
        continue;
      }
      // No quote up to the newline (nearly every record): its text is the line; split it natively.
      if (lf === n && !final) return this.incomplete(start, this.line, n - start);
      const end = lf > start && s.charCodeAt(lf - 1) === CR ? lf - 1 : lf;
      const line = this.line++;
      i = lf === n ? n : lf + 1;
      if (end === start) continue; // a blank line is not a record
      const raw = s.slice(start, end);
      const fields = raw.split(this.delim, this.maxColumns + 1);
      if (fields.length > this.maxColumns) throw new CsvStructureError('TOO_MANY_COLUMNS', line, `more than ${this.maxColumns} columns`);
      if (raw.length > this.maxField) for (const f of fields) if (f.length > this.maxField) this.tooLarge(line);
      out.push({ fields, line, raw });
    }
    return n;
  }

  /** Next newline / delimiter at or after the scan position in the string being tokenised (its length if none). */
  private nextLf = -1;
  private nextDelim = -1;

  /**
   * One record that has a quote before its newline, field by field; returns where the next record
   * starts, or -1 when `s` ends before this one does (and more input may come).
   */
  private quotedRecord(s: string, start: number, final: boolean, out: CsvRecord[]): number {
    const n = s.length;
    const D = this.delimCode;
    const startLine = this.line;
    let i = start;
    let lines = 0;
    const fields: string[] = [];
    let malformed: string | undefined;
    let end: number; // end of the record's text, before its terminator
    for (;;) {
      if (fields.length >= this.maxColumns) {
        throw new CsvStructureError('TOO_MANY_COLUMNS', startLine, `more than ${this.maxColumns} columns`);
      }
      if (i < n && s.charCodeAt(i) === QUOTE) {
        // Quoted field: a single slice unless it holds doubled quotes.
        let q = s.indexOf('"', i + 1);
        let value: string;
        if (q !== -1 && (q + 1 >= n || s.charCodeAt(q + 1) !== QUOTE)) {
          if (q + 1 === n && !final) return -1;
          value = s.slice(i + 1, q);
        } else {
          value = '';
          let piece = i + 1;
          for (;;) {
            if (q === -1) {
              if (!final) return -1;
              throw new CsvStructureError('UNCLOSED_QUOTE', startLine, 'a quoted field is never closed');
            }
            if (q + 1 === n && !final) return -1;
            if (q + 1 < n && s.charCodeAt(q + 1) === QUOTE) {
              value += s.slice(piece, q + 1);
              piece = q + 2;
              q = s.indexOf('"', piece);
              continue;
            }
            value += s.slice(piece, q);
            break;
          }
        }
        // Newlines inside the quotes count as lines; the cached newline moves past the field.
        if (this.nextLf < q) {
          do { lines++; this.nextLf = s.indexOf('\n', this.nextLf + 1); } while (this.nextLf !== -1 && this.nextLf < q);
          if (this.nextLf === -1) this.nextLf = n;
        }
        i = q + 1;
        if (value.length > this.maxField) this.tooLarge(startLine);
        if (i >= n) { fields.push(value); end = n; break; }
        let c = s.charCodeAt(i);
        if (c !== D && c !== LF && c !== CR) {
          // Text after the closing quote: keep it (nothing is lost) and flag the record.
          malformed ??= `text after a closing quote in field ${fields.length + 1}`;
          let k = i;
          while (k < n && (c = s.charCodeAt(k)) !== D && c !== LF && c !== CR) k++;
          if (k === n && !final) return -1;
          value += s.slice(i, k);
          i = k;
          if (i >= n) { fields.push(value); end = n; break; }
        }
        fields.push(value);
        if (c === D) { i++; continue; }
        if (c === LF) { end = i; i++; break; }
        // CR: a terminator with or without its LF; if the chunk ends on it, wait for the next one.
        if (i + 1 === n && !final) return -1;
        end = i;
        i += s.charCodeAt(i + 1) === LF ? 2 : 1;
        break;
      }
      if (this.nextDelim < i) this.nextDelim = indexOrEnd(s, this.delim, i);
      const lf = this.nextLf;
      if (this.nextDelim < lf) {
        if (this.nextDelim - i > this.maxField) this.tooLarge(startLine);
        fields.push(s.slice(i, this.nextDelim));
        i = this.nextDelim + 1;
        if (i === n) {
          // A record ending in a delimiter at the end of the chunk: its last (empty) field may grow.
          if (!final) return -1;
          fields.push('');
          end = n;
          break;
        }
        continue;
      }
      if (lf === n) {
        if (!final) return -1;
        end = n > i && s.charCodeAt(n - 1) === CR ? n - 1 : n;
      } else {
        end = lf > i && s.charCodeAt(lf - 1) === CR ? lf - 1 : lf;
      }
      if (end - i > this.maxField) this.tooLarge(startLine);
      fields.push(s.slice(i, end));
      i = lf === n ? n : lf + 1;
      break;
    }
    this.line = startLine + lines + 1;
    const record: CsvRecord = { fields, line: startLine, raw: s.slice(start, end) };
    if (malformed) record.malformed = malformed;
    out.push(record);
    return i;
  }

  private incomplete(start: number, startLine: number, length: number): number {
    this.line = startLine;
    if (length > this.maxRecord) {
      throw new CsvStructureError('RECORD_TOO_LARGE', startLine, `a record longer than ${this.maxRecord} characters`);
    }
    return start;
  }

  private tooLarge(line: number): never {
    throw new CsvStructureError('FIELD_TOO_LARGE', line, `a field longer than ${this.maxField} characters`);
  }
}

function indexOrEnd(s: string, what: string, from: number): number {
  const k = s.indexOf(what, from);
  return k === -1 ? s.length : k;
}

/** Reads records from decoded text chunks. */
export async function* readCsv(chunks: AsyncIterable<string> | Iterable<string>, opts: CsvReaderOptions = {}): AsyncGenerator<CsvRecord> {
  const tokenizer = new CsvTokenizer(opts);
  for await (const chunk of chunks) {
    const records = tokenizer.push(chunk);
    for (let k = 0; k < records.length; k++) yield records[k]!;
  }
  yield* tokenizer.end();
}
