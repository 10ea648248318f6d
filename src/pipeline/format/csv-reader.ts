import { VendorflowError } from '../../shared/errors.js';

/**
 * Streaming RFC 4180 reader. Text arrives in chunks cut anywhere (inside a quoted field, between CR
 * and LF, inside a surrogate pair); a record is emitted only once its terminating newline (or the end
 * of input) has been seen, so chunk boundaries never change the result. An incomplete record is
 * carried into the next chunk and re-tokenised from its start; the carry is bounded by the record
 * limit, so memory is constant in the file size and a 10 MB field is an error, not an allocation.
 *
 * Scanning uses indexOf for the delimiter, newline and quote (native, vectorised) instead of a
 * per-character state machine: unquoted fields are sliced straight out of the chunk.
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
    const D = this.delimCode;
    let i = 0;
    let nextDelim = -1;
    let nextLf = -1;
    while (i < n) {
      const start = i;
      const startLine = this.line;
      let lines = 0;
      const fields: string[] = [];
      let malformed: string | undefined;
      let end = n; // end of the record's text, before its terminator
      for (;;) {
        if (fields.length >= this.maxColumns) {
          throw new CsvStructureError('TOO_MANY_COLUMNS', startLine, `more than ${this.maxColumns} columns`);
        }
        if (i < n && s.charCodeAt(i) === QUOTE) {
          // Quoted field: pieces between doubled quotes.
          let value = '';
          let piece = i + 1;
          let j = piece;
          for (;;) {
            const q = s.indexOf('"', j);
            if (q === -1) {
              if (!final) return this.incomplete(start, startLine, n - start);
              throw new CsvStructureError('UNCLOSED_QUOTE', startLine, 'a quoted field is never closed');
            }
            if (q + 1 === n && !final) return this.incomplete(start, startLine, n - start);
            if (q + 1 < n && s.charCodeAt(q + 1) === QUOTE) {
              value += s.slice(piece, q + 1);
              j = piece = q + 2;
              continue;
            }
            value += s.slice(piece, q);
            lines += countLf(s, i, q);
            i = q + 1;
            break;
          }
          if (value.length > this.maxField) this.tooLarge(startLine);
          if (i >= n) { fields.push(value); end = n; break; }
          let c = s.charCodeAt(i);
          if (c !== D && c !== LF && c !== CR) {
            // Text after the closing quote: keep it (nothing is lost) and flag the record.
            malformed ??= `text after a closing quote in field ${fields.length + 1}`;
            let k = i;
            while (k < n && (c = s.charCodeAt(k)) !== D && c !== LF && c !== CR) k++;
            if (k === n && !final) return this.incomplete(start, startLine, n - start);
            value += s.slice(i, k);
            i = k;
            if (i >= n) { fields.push(value); end = n; break; }
          }
          fields.push(value);
          if (c === D) { i++; continue; }
          if (c === LF) { end = i; i++; break; }
          // CR: a terminator with or without its LF; if the chunk ends on it, wait for the next one.
          if (i + 1 === n && !final) return this.incomplete(start, startLine, n - start);
          end = i;
          i += s.charCodeAt(i + 1) === LF ? 2 : 1;
          break;
        }
        if (nextDelim < i) { nextDelim = s.indexOf(this.delim, i); if (nextDelim === -1) nextDelim = n; }
        if (nextLf < i) { nextLf = s.indexOf('\n', i); if (nextLf === -1) nextLf = n; }
        if (nextDelim < nextLf) {
          if (nextDelim - i > this.maxField) this.tooLarge(startLine);
          fields.push(s.slice(i, nextDelim));
          i = nextDelim + 1;
          if (i === n) {
            // A record ending in a delimiter at the end of the chunk: its last (empty) field may grow.
            if (!final) return this.incomplete(start, startLine, n - start);
            fields.push('');
            end = n;
            break;
          }
          continue;
        }
        if (nextLf === n) {
          if (!final) return this.incomplete(start, startLine, n - start);
          end = n > i && s.charCodeAt(n - 1) === CR ? n - 1 : n;
        } else {
          end = nextLf > i && s.charCodeAt(nextLf - 1) === CR ? nextLf - 1 : nextLf;
        }
        if (end - i > this.maxField) this.tooLarge(startLine);
        fields.push(s.slice(i, end));
        i = nextLf === n ? n : nextLf + 1;
        break;
      }
      this.line = startLine + lines + 1;
      // A blank line is not a record.
      if (fields.length === 1 && fields[0] === '' && end === start) continue;
      const record: CsvRecord = { fields, line: startLine, raw: s.slice(start, end) };
      if (malformed) record.malformed = malformed;
      out.push(record);
    }
    return n;
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

function countLf(s: string, from: number, to: number): number {
  let count = 0;
  let k = s.indexOf('\n', from);
  while (k !== -1 && k < to) {
    count++;
    k = s.indexOf('\n', k + 1);
  }
  return count;
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
