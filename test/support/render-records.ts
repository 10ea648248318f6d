import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { pipeline } from 'node:stream/promises';
import { PassThrough } from 'node:stream';
import type { EmployeeSnapshot } from '../../src/shared/snapshot.js';
import type { VendorSpec } from '../../src/vendors/spec-schema.js';
import { createRecordBuilder } from '../../src/pipeline/format/record-builder.js';
import { createWriter } from '../../src/pipeline/format/create-writer.js';
import type { MaintenanceCode, OutboundRecord } from '../../src/pipeline/format/outbound-record.js';
import type { FileFacts, RecordWriter, RejectedRecord } from '../../src/pipeline/format/record-writer.js';
import { loadVendorSpecFile } from '../../src/vendors/load-spec.js';

export const FACTS: FileFacts = {
  id: 'F-0000000042', name: 'test-file', seq: 7, controlNumber: 42, date: '2024-03-15', time: '0930',
  tenant: 'acme-corp', vendor: 'test', kind: 'full', environment: 'test',
};

export const SETTINGS = {
  groupNumber: 'G-1001', sponsorId: 'ACMECORP', sponsorName: 'Acme Corp', policyNumber: 'POL-77', payerId: '987654321',
  planCodes: { 'MED-PPO': 'P100', 'MED-HDHP': 'H200', 'DEN-BASIC': 'D1', 'LIFE-1X': 'L1X' },
};

export function exampleSpec(name: string): VendorSpec {
  return loadVendorSpecFile(new URL(`../../examples/vendors/${name}.yaml`, import.meta.url).pathname);
}

export function buildRecords(spec: VendorSpec, snapshots: EmployeeSnapshot[], code: MaintenanceCode = '030'): OutboundRecord[] {
  const builder = createRecordBuilder({ spec, settings: SETTINGS, asOf: FACTS.date });
  return snapshots.flatMap((s) => builder.build(s).records.map((r) => ({
    employeeId: r.employeeId, planCode: r.planCode, planType: r.planType, code, image: r.image, hash: r.hash,
  })));
}

/** Streams records through a writer, returning the bytes, the writer (stats) and what it refused. */
export async function render(spec: VendorSpec, records: OutboundRecord[], opts: { facts?: Partial<FileFacts>; make?: (onReject: (r: RejectedRecord) => void) => RecordWriter } = {}) {
  const rejected: RejectedRecord[] = [];
  const onReject = (r: RejectedRecord) => rejected.push(r);
  const writer = opts.make?.(onReject) ?? createWriter(spec, { ...FACTS, vendor: spec.id, ...opts.facts }, SETTINGS, { onReject });
  const sizes: number[] = [];
  const sink = new PassThrough();
  const collected = buffer(sink);
  await pipeline(Readable.from(records), writer, async function* (chunks: AsyncIterable<Buffer>) {
    for await (const c of chunks) {
      sizes.push(c.length);
      yield c;
    }
  }, sink);
  return { bytes: await collected, writer, rejected, chunkSizes: sizes };
}
