import type { Database } from '../../engines/database/port.js';
import type { MemberHash, OutboundMember } from '../../engines/database/repositories/outbound-files.js';
import type { PiiCipher } from '../../security/pii-cipher.js';
import type { VendorSpec } from '../../vendors/spec-schema.js';
import { imageHash, joinImage, type OutboundRecord, type RecordImage } from '../format/outbound-record.js';
import { createRecordBuilder, type BuildProblem } from '../format/record-builder.js';
import { maintenanceCode } from './maintenance-code.js';
import { snapshotPages } from './snapshot-pages.js';

/**
 * The records of one outbound file, page by page: a keyset page of the run's snapshots is turned
 * into records, each given its maintenance code against the hashes of the last delivered file, and
 * the delivered members of that page's key range who produced no record are terminated (024) from
 * the image the vendor last received. Pages are merge-joined on employee id, so neither the
 * snapshots nor the hashes are ever held whole. An employee whose snapshot is incomplete, or whose
 * record broke the spec, is never terminated for it: their delivered state is left alone.
 */
export interface PlannedRecord extends OutboundRecord {
  /** Benefit-record fields for a member × plan seen for the first time. */
  fields: Record<string, unknown>;
}
export interface RecordPage { records: PlannedRecord[]; problems: BuildProblem[]; incomplete: number }

export interface PlanInput {
  db: Database; pii: PiiCipher; tenantId: string; runId: string; spec: VendorSpec; kind: 'full' | 'change';
  settings: Record<string, unknown>; asOf: string; pageSize?: number;
}

const key = (e: string, p: string) => `${e}\u0000${p}`;

export async function* plannedRecordPages(input: PlanInput): AsyncGenerator<RecordPage> {
  const { db, pii, tenantId, spec, kind } = input;
  const builder = createRecordBuilder({ spec, settings: input.settings, asOf: input.asOf });
  let after: string | null = null;
  for await (const page of snapshotPages({ db, pii, tenantId, runId: input.runId, pageSize: input.pageSize ?? 1000 })) {
    const last = page.last;
    // A full file ignores history; a change file needs the delivered hashes of this key range.
    const hashes = kind === 'change' ? await hashesIn(db, tenantId, spec.id, after, last) : new Map<string, MemberHash>();
    const records: PlannedRecord[] = [];
    const problems: BuildProblem[] = [];
    const keep = new Set<string>(); // member × plan keys that must not be terminated
    const untouchable = new Set<string>(); // employees whose snapshot is incomplete
    let incomplete = 0;
    for (const { employeeId, snapshot } of page.employees) {
      if (!snapshot) {
        untouchable.add(employeeId);
        incomplete++;
        continue;
      }
      const built = builder.build(snapshot);
      for (const p of built.problems) keep.add(key(p.employeeId, p.planCode));
      problems.push(...built.problems);
      for (const rec of built.records) {
        const k = key(rec.employeeId, rec.planCode);
        keep.add(k);
        const code = maintenanceCode(kind, rec, hashes.get(k)?.recordHash);
        if (!code) continue;
        const e = rec.election;
        records.push({
          employeeId: rec.employeeId, planCode: rec.planCode, planType: rec.planType, code, image: rec.image, hash: rec.hash,
          fields: {
            planType: e.planType, coverageTier: e.coverageTier, effectiveDate: e.effectiveDate, endDate: e.endDate,
            employeeCostPerPeriod: e.employeeCostPerPeriod, coverageAmount: e.coverageAmount,
          },
        });
      }
    }
    const gone = [...hashes.values()].filter((h) => !keep.has(key(h.employeeId, h.planCode)) && !untouchable.has(h.employeeId));
    for (let i = 0; i < gone.length; i += 1000) {
      const sent = await db.read((r) => r.outboundFiles.sentMembers(tenantId, gone.slice(i, i + 1000)));
      for (const m of sent) records.push(terminationOf(m, tenantId, pii, input.asOf));
    }
    yield { records, problems, incomplete };
    after = last;
  }
}

async function hashesIn(db: Database, tenantId: string, vendorId: string, after: string | null, upTo: string | null): Promise<Map<string, MemberHash>> {
  return db.read(async (r) => {
    const out = new Map<string, MemberHash>();
    let cursor: MemberHash | null = null;
    for (;;) {
      const rows = await r.outboundFiles.hashesRange(tenantId, vendorId, { after, upTo }, cursor, 1000);
      for (const h of rows) out.set(key(h.employeeId, h.planCode), h);
      if (rows.length < 1000) return out;
      cursor = rows[rows.length - 1]!;
    }
  });
}

/** A 024 rebuilt from what the vendor last received for a member × plan no longer in the run. */
function terminationOf(m: OutboundMember, tenantId: string, pii: PiiCipher, asOf: string): PlannedRecord {
  const { planType, ...plain } = m.sent as unknown as RecordImage & { planType: PlannedRecord['planType'] };
  let image = m.sentPii ? joinImage(plain as RecordImage, pii.open(tenantId, m.sentPii)) : (plain as RecordImage);
  // An 834 termination carries the coverage end date (DTP*349); the member left as of this file.
  if (image.kind === 'x12' && !image.coverage.end) image = { ...image, coverage: { ...image.coverage, end: asOf } };
  return { employeeId: m.employeeId, planCode: m.planCode, planType, code: '024', image, hash: imageHash(image), fields: {} };
}
