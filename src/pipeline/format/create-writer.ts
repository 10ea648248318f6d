import type { VendorSpec } from '../../vendors/spec-schema.js';
import { CsvWriter } from './csv-writer.js';
import { FixedWidthWriter } from './fixed-width-writer.js';
import type { FileFacts, RecordWriter, WriterOptions } from './record-writer.js';
import { X12834Writer, type X12Counts } from './x12-834-writer.js';

/** The writer for a spec's outbound format. */
export function createWriter(
  spec: VendorSpec, facts: FileFacts, settings: Record<string, unknown>, options: WriterOptions & { counts?: X12Counts } = {},
): RecordWriter {
  switch (spec.outbound.format) {
    case 'csv': return new CsvWriter(spec, facts, settings, options);
    case 'fixed-width': return new FixedWidthWriter(spec, facts, settings, options);
    case 'x12-834': return new X12834Writer(spec, facts, settings, options);
  }
}
