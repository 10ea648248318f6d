import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestSpecFromVendor } from '../../src/pipeline/ingest/from-vendor-spec.js';
import { ingestFile } from '../../src/pipeline/ingest/ingest-file.js';
import { parseVendorSpec } from '../../src/vendors/load-spec.js';
import { createTestDatabase, ENGINES, type TestDatabase } from '../support/databases.js';
import { employeeId, OUTBOUND, recordsChecksum, seedTenant, TENANT, VENDOR } from '../support/ingest-fixture.js';

const EMPLOYEES = 100; // MED and DEN records for each

/** The Summit Life example spec, answering by 834 instead of CSV, under the fixture's vendor id. */
function spec834() {
  const text = readFileSync(new URL('../../examples/vendors/summit-life.yaml', import.meta.url), 'utf8')
    .replace(/^id: summit-life$/m, `id: ${VENDOR}`)
    .replace(/^inbound:\n(?: {2}.*\n)+/m, 'inbound:\n  format: x12-834\n  encoding: ascii\n  errorThreshold: 0.05\n  correlation: { by: fileName, pattern: "SUMMIT_834_RESP_{seq}.x12" }\n');
  const parsed = parseVendorSpec(text);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  return ingestSpecFromVendor(parsed.spec);
}

interface Built834 {
  text: string;
  /** HD segment number -> the code its coverage must be rejected with */
  rejected: Map<number, string>;
  /** `employee|plan` -> the fields the record must end with */
  applied: Map<string, Record<string, string>>;
  coverages: number;
}

/**
 * A vendor's 834 audit file: every employee's MED (tier EMP) and DEN (tier ESP, with an end date)
 * coverage, the first employee's spouse as a dependant loop (not a row), and a few broken coverages.
 * Members carry an SSN (NM109) and a date of birth (DMG02), which no row error may echo.
 */
function build834(opts: { breakEnvelope?: boolean } = {}): Built834 {
  const segs: string[] = [];
  const rejected = new Map<number, string>();
  const applied = new Map<string, Record<string, string>>();
  let coverages = 0;
  const isa = ['ISA', '00', ' '.repeat(10), '00', ' '.repeat(10), 'ZZ', 'SUMMITLIFE'.padEnd(15), 'ZZ', 'VENDORFLOW'.padEnd(15), '250301', '1200', '^', '00501', '000000042', '0', 'T', ':'].join('*');
  segs.push(isa, 'GS*BE*SUMMITLIFE*VENDORFLOW*20250301*1200*42*X*005010X220A1', 'ST*834*0001*005010X220A1', 'BGN*00*SUMMIT-AUDIT-7*20250301*1200****4',
    'N1*P5*Tenant one*FI*t1', 'N1*IN*Summit Life*FI*SUMMIT');
  const hd = (s: string) => { segs.push(s); return segs.length; }; // its number in the interchange (ISA = 1)
  for (let i = 0; i < EMPLOYEES + 1; i++) {
    const id = i < EMPLOYEES ? employeeId(i) : 'ZZ999999'; // the last one is not an employee of the tenant
    segs.push('INS*Y*18*030*XN*A***FT', `REF*0F*${id}`, `NM1*IL*1*DOE*PAT****34*${String(123456700 + i)}`, 'DMG*D8*19800101*F');
    const month = String(1 + (i % 12)).padStart(2, '0');
    const med = hd('HD*030**HLT*MED*EMP');
    coverages++;
    if (i === 3) {
      segs.push('DTP*348*D8*20251345');
      rejected.set(med, 'INVALID_DATE');
    } else {
      segs.push(`DTP*348*D8*2025${month}01`);
      if (i === EMPLOYEES) rejected.set(med, 'UNKNOWN_EMPLOYEE');
      else applied.set(`${id}|MED`, { maintenanceCode: '030', benefitStatus: 'A', coverageTier: 'EMP', coverageStart: `2025-${month}-01` });
    }
    const den = hd('HD*030**DEN*DEN*ESP');
    coverages++;
    if (i === 5) {
      segs.push('DTP*348*D8*20250601', 'DTP*349*D8*20250101');
      rejected.set(den, 'DATE_ORDER');
    } else {
      segs.push(`DTP*348*D8*2025${month}01`, 'DTP*349*D8*20251231');
      if (i === EMPLOYEES) rejected.set(den, 'UNKNOWN_EMPLOYEE');
      else applied.set(`${id}|DEN`, { maintenanceCode: '030', benefitStatus: 'A', coverageTier: 'ESP', coverageStart: `2025-${month}-01`, coverageEnd: '2025-12-31' });
    }
    if (i === 0) segs.push('INS*N*01*030*XN*A', `REF*0F*${id}`, 'NM1*IL*1*DOE*SAM****34*987654321', 'HD*030**HLT*MED*ESP', 'DTP*348*D8*20250101');
  }
  const st = segs.findIndex((s) => s.startsWith('ST*'));
  const count = segs.length - st + 1 + (opts.breakEnvelope ? 3 : 0);
  segs.push(`SE*${count}*0001`, 'GE*1*42', 'IEA*1*000000042');
  return { text: `${segs.join('~\n')}~\n`, rejected, applied, coverages };
}

describe.each(ENGINES)('834 responses on %s', (engine) => {
  let t: TestDatabase;
  let dir: string;
  beforeAll(async () => {
    t = await createTestDatabase(engine);
    dir = mkdtempSync(join(tmpdir(), 'vf-ingest-834-'));
    await seedTenant(t.db, { employees: EMPLOYEES });
  });
  afterAll(async () => {
    await t?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('quarantines an 834 whose envelope does not add up, applying nothing', async () => {
    const path = join(dir, 'SUMMIT_834_RESP_0001.x12');
    writeFileSync(path, build834({ breakEnvelope: true }).text);
    const before = await recordsChecksum(t.db);
    const summary = await ingestFile({ db: t.db, tenantId: TENANT, vendorId: VENDOR, path, spec: spec834(), answersFileId: OUTBOUND, chunkSize: 100 });
    expect(summary.status).toBe('quarantined');
    expect(summary.reason).toMatch(/^X12_ENVELOPE: .*SE01/);
    expect((await recordsChecksum(t.db)).sha256).toBe(before.sha256);
  });

  it('applies each subscriber coverage of an 834 once, rejects broken ones by segment, and reconciles', async () => {
    const built = build834();
    const path = join(dir, 'SUMMIT_834_RESP_0002.x12');
    writeFileSync(path, built.text);
    const run = () => ingestFile({ db: t.db, tenantId: TENANT, vendorId: VENDOR, path, spec: spec834(), answersFileId: OUTBOUND, chunkSize: 100 });
    const summary = await run();
    expect(summary.status, summary.reason ?? '').toBe('applied');
    const rec = summary.reconciliation;
    // The dependant's loop is not a row: the subscriber's coverage answers the record.
    expect(rec.received).toBe(built.coverages);
    expect(rec.rejected).toBe(built.rejected.size);
    expect(rec.applied).toBe(built.applied.size);
    expect(rec.receivedIdentityHolds && rec.sentIdentityHolds && rec.crossChecksHold).toBe(true);
    expect(rec.unknownEmployees).toBe(2); // rows answering an unknown employee: one employee, two coverages

    const { versions, fields } = await recordsChecksum(t.db);
    for (const [key, expected] of built.applied) {
      expect(versions.get(key), key).toBe(2);
      expect(fields.get(key), key).toEqual({ tier: 'EE', monthlyPremium: '0.00', ...expected });
    }
    expect(versions.get(`${employeeId(3)}|MED`)).toBe(1);
    expect(versions.get(`${employeeId(5)}|DEN`)).toBe(1);

    const errors = await t.db.unitOfWork((r) => r.ingest.rowErrorsPage(summary.fileId, 0, 1000));
    expect(new Map(errors.map((e) => [e.line, e.code]))).toEqual(built.rejected);
    for (const e of errors) {
      expect(e.rawMasked).not.toMatch(/1234567\d\d|19800101/);
    }

    // Again: the same content is recognised and nothing is applied twice.
    const again = await run();
    expect(again.alreadyIngested).toBe(true);
    expect((await recordsChecksum(t.db)).versions).toEqual(versions);
  });
});
