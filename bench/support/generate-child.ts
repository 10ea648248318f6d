/**
 * One measured generation in its own process (so its peak RSS is its own):
 *   node --import tsx bench/support/generate-child.ts MODE RECORDS OUT_FILE
 * MODE: csv | csv-pgp | fixed-width | x12-834 | bare-csv. Records cycle through a fixed pool built
 * once from the synthetic enterprise, so record building is outside the measurement and memory
 * stays flat whatever the file size. Prints one JSON line: bytes, seconds (wall), cpuSeconds (all
 * threads: the PGP worker's included), maxRssMb.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as openpgp from 'openpgp';
import { createWriter } from '../../src/pipeline/format/create-writer.js';
import { createRecordBuilder } from '../../src/pipeline/format/record-builder.js';
import type { OutboundRecord, X12Image } from '../../src/pipeline/format/outbound-record.js';
import { pgpEncryptStream } from '../../src/pipeline/generate/pgp-encrypt-stream.js';
import { enrolledEmployees } from '../../test/support/enrolled-employees.js';
import { exampleSpec, FACTS, SETTINGS } from '../../test/support/render-records.js';
import type { VendorSpec } from '../../src/vendors/spec-schema.js';
import { wideCsvSpec } from './generate-specs.js';

const [mode, countText, out] = process.argv.slice(2) as [string, string, string];
const count = Number(countText);
const POOL = 2000;

function specFor(m: string): VendorSpec {
  if (m === 'fixed-width') return exampleSpec('bright-dental');
  if (m === 'x12-834') {
    const s = exampleSpec('summit-life');
    s.outbound.planTypes = ['medical'];
    s.outbound.x12!.insuranceLines = { medical: 'HLT' };
    return s;
  }
  return wideCsvSpec();
}

const spec = specFor(mode);
const builder = createRecordBuilder({ spec, settings: SETTINGS, asOf: FACTS.date });
const pool: OutboundRecord[] = enrolledEmployees(POOL, { tricky: true }).flatMap((s) => builder.build(s).records)
  .filter((r) => r.planType === spec.outbound.planTypes[0])
  .map((r) => ({ employeeId: r.employeeId, planCode: r.planCode, planType: r.planType, code: '030' as const, image: r.image, hash: r.hash }));

function* records(): Generator<OutboundRecord> {
  for (let i = 0; i < count; i++) yield pool[i % pool.length]!;
}

/** The same sink for every mode: SHA-256 on the fly, then the file. */
function sink(): { measure: Transform; file: NodeJS.WritableStream; bytes: () => number } {
  const hash = createHash('sha256');
  let bytes = 0;
  const measure = new Transform({ transform(c: Buffer, _e, cb) { hash.update(c); bytes += c.length; cb(null, c); } });
  return { measure, file: createWriteStream(out), bytes: () => bytes };
}

/** Baseline: a bare RFC 4180 loop over pre-formatted cells, 64 KB chunks, backpressure honoured. */
async function bareCsv(s: ReturnType<typeof sink>): Promise<void> {
  const rows = pool.map((r) => (r.image.kind === 'lines' ? r.image.lines.map((l) => spec.outbound.columns!.map((c) => l[c.name] ?? '')) : []));
  const done = pipeline(s.measure, s.file);
  let buf = '';
  for (let i = 0; i < count; i++) {
    for (const row of rows[i % rows.length]!) {
      for (let k = 0; k < row.length; k++) {
        const v = row[k]!;
        if (k) buf += ',';
        buf += /[",\r\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v;
      }
      buf += '\r\n';
    }
    if (buf.length >= 65536) {
      if (!s.measure.write(Buffer.from(buf, 'utf8'))) await once(s.measure, 'drain');
      buf = '';
    }
  }
  s.measure.end(Buffer.from(buf, 'utf8'));
  await done;
}

async function main(): Promise<void> {
  const s = sink();
  const recipient = mode === 'csv-pgp' ? (await openpgp.generateKey({ type: 'ecc', userIDs: [{ name: 'bench' }], format: 'armored' })).publicKey : null;
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  if (mode === 'bare-csv') await bareCsv(s);
  else {
    const counts = mode === 'x12-834' ? { subscribers: count, dependents: 0 } : undefined;
    if (counts) for (let i = 0; i < count; i++) counts.dependents += (pool[i % pool.length]!.image as X12Image).dependents.length;
    const writer = createWriter(spec, { ...FACTS, vendor: spec.id }, SETTINGS, { counts });
    const stages: Array<NodeJS.ReadableStream | NodeJS.WritableStream | NodeJS.ReadWriteStream> = [Readable.from(records()), writer];
    if (recipient) stages.push(await pgpEncryptStream(recipient));
    await pipeline([...stages, s.measure, s.file]);
  }
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  process.stdout.write(`${JSON.stringify({ mode, count, bytes: s.bytes(), seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, maxRssMb: process.resourceUsage().maxRSS / 1024 })}\n`);
}

await main();
