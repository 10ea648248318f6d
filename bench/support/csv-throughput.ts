/**
 * One CSV reader over one file, in its own process so its peak RSS is its own:
 *   node --import tsx bench/support/csv-throughput.ts ours|csv-parse|papaparse|pass1 FILE
 * Prints {records, seconds, maxRssMb} as JSON.
 */
import { createReadStream } from 'node:fs';
import { TextDecoder } from 'node:util';
import { parse as csvParse } from 'csv-parse';
import Papa from 'papaparse';
import { CsvTokenizer } from '../../src/pipeline/format/csv-reader.js';
import { compileIngestSpec } from '../../src/pipeline/ingest/ingest-spec.js';
import { readResponse } from '../../src/pipeline/ingest/read-response.js';
import { createRowValidator, type SourceRecord, type ValidatedRow } from '../../src/pipeline/ingest/validate-row.js';
import { BENCH_SPEC } from './ingest-data.js';

const [which, file] = process.argv.slice(2) as [string, string];
const CHUNK = 1 << 20;
const t0 = performance.now();
let records = 0;

if (which === 'ours') {
  const decoder = new TextDecoder('utf-8');
  const t = new CsvTokenizer({ maxColumns: 100 });
  for await (const bytes of createReadStream(file, { highWaterMark: CHUNK })) records += t.push(decoder.decode(bytes as Buffer, { stream: true })).length;
  records += t.push(decoder.decode()).length + t.end().length;
} else if (which === 'csv-parse') {
  const parser = createReadStream(file, { highWaterMark: CHUNK }).pipe(csvParse({ relax_column_count: true }));
  for await (const _ of parser) records++;
} else if (which === 'papaparse') {
  await new Promise<void>((resolve, reject) => {
    const stream = Papa.parse(Papa.NODE_STREAM_INPUT, {});
    stream.on('data', () => { records++; });
    stream.on('end', resolve);
    stream.on('error', reject);
    createReadStream(file, { highWaterMark: CHUNK, encoding: 'utf8' }).pipe(stream);
  });
} else if (which === 'pass1') {
  // Pass 1's pure part: decode, tokenise, map the header, clean, type-check and normalise every value.
  const compiled = compileIngestSpec(BENCH_SPEC);
  let validate: ((r: SourceRecord) => ValidatedRow) | null = null;
  let rejected = 0;
  for await (const batch of readResponse(file, compiled, (l) => { validate = createRowValidator(compiled, l.index, l.expectedFields); })) {
    for (const r of batch) if (validate!(r).rejected) rejected++;
    records += batch.length;
  }
  if (rejected > records / 100) throw new Error(`bench data: ${rejected} of ${records} rows rejected`);
} else {
  throw new Error(`unknown reader ${which}`);
}
const seconds = (performance.now() - t0) / 1000;
process.stdout.write(`${JSON.stringify({ records, seconds, maxRssMb: process.resourceUsage().maxRSS / 1024 })}\n`);
