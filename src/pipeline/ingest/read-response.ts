import { createReadStream } from 'node:fs';
import { VendorflowError } from '../../shared/errors.js';
import { CsvStructureError, CsvTokenizer } from '../format/csv-reader.js';
import { FixedWidthReader } from '../format/fixed-width-reader.js';
import { decodeText } from './decode-text.js';
import type { CompiledIngestSpec } from './ingest-spec.js';
import { cleanText } from './normalise.js';
import { mapHeader, type SourceRecord } from './validate-row.js';
import { MAX_834_CHARS, rows834, X12_834_COLUMNS } from './x12-834-rows.js';

/** Why a whole file is refused (quarantined): it cannot be read as the spec describes. */
export type StructureReason =
  | 'EMPTY' | 'HEADER_ONLY' | 'MISSING_COLUMN' | 'UNCLOSED_QUOTE' | 'FIELD_TOO_LARGE' | 'TOO_MANY_COLUMNS'
  | 'RECORD_TOO_LARGE' | 'TRAILER_MISSING' | 'TRAILER_COUNT' | 'DATA_AFTER_TRAILER' | 'ENCODING' | 'X12_ENVELOPE';

export class StructureError extends VendorflowError {
  constructor(readonly reason: StructureReason, message: string) {
    super('INPUT_INVALID', message);
    this.name = 'StructureError';
  }
}

export interface ResponseLayout {
  /** Position of each spec column in a record (-1: absent). */
  index: number[];
  /** Fields a CSV data record must have (the header's count). */
  expectedFields: number;
}

/**
 * 64 KiB reads: a chunk's records (a few hundred) die young. With 1 MiB reads each batch (thousands
 * of records) outlived the young generation and was promoted: twice the GC time and RSS growing with it.
 */
const READ_CHUNK = 1 << 16;

/**
 * Streams the data records of a spooled response file, a batch per read chunk (one await per
 * batch, not per record): decoded in the spec's encoding, tokenised,
 * header mapped to the spec's columns, trailer checked against the count of data records. Structural
 * problems are thrown as StructureError once found; every data record before them has been yielded.
 */
export async function* readResponse(path: string, compiled: CompiledIngestSpec, onLayout: (l: ResponseLayout) => void): AsyncGenerator<SourceRecord[]> {
  const { spec } = compiled;
  if (spec.format === 'x12-834') {
    yield* read834Response(path, compiled, onLayout);
    return;
  }
  const reader = spec.format === 'csv'
    ? new CsvTokenizer({ delimiter: spec.delimiter, maxFieldChars: spec.maxFieldChars, maxColumns: spec.maxColumns })
    : new FixedWidthReader({ widths: spec.columns.map((c) => c.width!), encoding: spec.encoding === 'utf-8' ? 'utf-8' : 'single-byte', maxLineChars: spec.maxFieldChars });
  let layout: ResponseLayout | null = null;
  let sawAnything = false;
  let dataRows = 0;
  let trailer: SourceRecord | null = null;

  const take = (records: SourceRecord[]): SourceRecord[] => {
    const out: SourceRecord[] = [];
    for (const r of records) {
      sawAnything = true;
      if (!layout) {
        if (spec.format === 'csv' && spec.header) {
          const { index, missing } = mapHeader(compiled, r.fields);
          if (missing.length) throw new StructureError('MISSING_COLUMN', `the header lacks required column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`);
          layout = { index, expectedFields: r.fields.length };
          onLayout(layout);
          continue;
        }
        layout = { index: spec.columns.map((_, k) => k), expectedFields: spec.columns.length };
        onLayout(layout);
      }
      if (trailer) throw new StructureError('DATA_AFTER_TRAILER', `line ${r.line}: a record after the trailer on line ${trailer.line}`);
      if (spec.trailer && cleanText(r.fields[0] ?? '') === spec.trailer.marker) {
        trailer = r;
        continue;
      }
      dataRows++;
      out.push(r);
    }
    return out;
  };

  try {
    for await (const text of decodeText(createReadStream(path, { highWaterMark: READ_CHUNK }), spec.encoding)) {
      const batch = take(reader.push(text));
      if (batch.length) yield batch;
    }
    const last = take(reader.end());
    if (last.length) yield last;
  } catch (e) {
    if (e instanceof CsvStructureError) throw new StructureError(e.reason, e.message);
    if (e instanceof VendorflowError && !(e instanceof StructureError) && e.code === 'INPUT_INVALID') throw new StructureError('ENCODING', e.message);
    throw e;
  }
  if (!sawAnything) throw new StructureError('EMPTY', 'the file is empty');
  if (spec.trailer) {
    const t = trailer as SourceRecord | null;
    if (!t) throw new StructureError('TRAILER_MISSING', 'no trailer record: the file is truncated');
    const stated = Number(cleanText(t.fields[spec.trailer.countIndex - 1] ?? ''));
    if (!Number.isInteger(stated) || stated !== dataRows) {
      throw new StructureError('TRAILER_COUNT', `the trailer counts ${Number.isNaN(stated) ? 'an unreadable number of' : stated} rows, the file has ${dataRows}: the file is truncated or altered`);
    }
  }
  if (dataRows === 0 && !spec.allowEmpty) throw new StructureError('HEADER_ONLY', 'the file has no data rows');
}

/** Rows yielded at a time from an 834 (read whole: its loops come from segment order). */
const X12_BATCH = 1000;

async function* read834Response(path: string, compiled: CompiledIngestSpec, onLayout: (l: ResponseLayout) => void): AsyncGenerator<SourceRecord[]> {
  const { spec } = compiled;
  const index = spec.columns.map((c) => (X12_834_COLUMNS as readonly string[]).indexOf(c.name));
  const unknown = spec.columns.filter((_, k) => index[k] === -1).map((c) => c.name);
  if (unknown.length) throw new StructureError('MISSING_COLUMN', `an 834 has no ${unknown.join(', ')} (it carries ${X12_834_COLUMNS.join(', ')})`);
  let text = '';
  try {
    for await (const piece of decodeText(createReadStream(path, { highWaterMark: READ_CHUNK }), spec.encoding)) {
      if (text.length + piece.length > MAX_834_CHARS) throw new StructureError('RECORD_TOO_LARGE', `an 834 is read whole, and this one exceeds ${MAX_834_CHARS} characters`);
      text += piece;
    }
  } catch (e) {
    if (e instanceof VendorflowError && !(e instanceof StructureError) && e.code === 'INPUT_INVALID') throw new StructureError('ENCODING', e.message);
    throw e;
  }
  if (!text.trim()) throw new StructureError('EMPTY', 'the file is empty');
  const { records, problems } = rows834(text);
  if (problems.length) throw new StructureError('X12_ENVELOPE', `the 834 envelope is broken: ${problems.slice(0, 5).join('; ')}${problems.length > 5 ? ` (and ${problems.length - 5} more)` : ''}`);
  onLayout({ index, expectedFields: X12_834_COLUMNS.length });
  if (records.length === 0 && !spec.allowEmpty) throw new StructureError('HEADER_ONLY', 'the 834 has no subscriber coverage');
  for (let i = 0; i < records.length; i += X12_BATCH) yield records.slice(i, i + X12_BATCH);
}
