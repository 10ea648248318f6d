/**
 * One CSV reader over one file, in its own process so its peak RSS is its own:
 *   node --import tsx bench/support/csv-throughput.ts ours|csv-parse|papaparse|pass1 FILE
 * Prints {records, seconds, cpuSeconds, maxRssMb} as JSON. Every reader gets the same 64 KiB reads
 * (what ingest reads with). cpuSeconds (user + system, all threads) is less swayed than wall time by
 * other work on a shared machine.
 */
import { createReadStream } from 'node:fs';
import { TextDecoder } from 'node:util';
import { parse as csvParse } from 'csv-parse';
import Papa from 'papaparse';
import { CsvTokenizer } from '../../src/pipeline/format/csv-reader.js';
import { BENCH_SPEC } from './ingest-data.js';
import { validateFile } from './validate-file.js';

const [which, file] = process.argv.slice(2) as [string, string];
const CHUNK = 1 << 16;
const t0 = performance.now();
const cpu0 = process.cpuUsage();
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
  // Pass 1 short of its database checks; the bench file has a few invalid rows on purpose.
  const result = await validateFile(file, BENCH_SPEC);
  records = result.records;
  if (result.rejected > records / 100) throw new Error(`bench data: ${result.rejected} of ${records} rows rejected`);
} else {
  throw new Error(`unknown reader ${which}`);
}
const seconds = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
process.stdout.write(`${JSON.stringify({ records, seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, maxRssMb: process.resourceUsage().maxRSS / 1024 })}\n`);
