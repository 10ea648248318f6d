import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as csvParse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestSpecFromVendor } from '../../src/pipeline/ingest/from-vendor-spec.js';
import { ingestFile } from '../../src/pipeline/ingest/ingest-file.js';
import { checkUrl, mapResolver, vendorPolicy } from '../../src/security/ssrf/index.js';
import { documentHost, generateResponse } from '../../src/sim/vendor/response-generator.js';
import { EXAMPLE_VENDOR_FILES, loadVendorRegistry } from '../../src/vendors/registry.js';
import { createTestDatabase, ENGINES, type TestDatabase } from '../support/databases.js';

const TENANT = 't1';
const EMPLOYEES = 1000;
const PLANS = ['MED-PPO', 'MED-HMO'];
const spec = loadVendorRegistry(EXAMPLE_VENDOR_FILES).get('acme-medical');
const delivered = 'ACME_ENROLL_t1_20250101_0001.csv';
const id = (i: number) => `E${String(i + 1).padStart(6, '0')}`;

describe.each(ENGINES)('a messy response from the vendor simulator on %s', (engine) => {
  let t: TestDatabase;
  let dir: string;
  beforeAll(async () => {
    t = await createTestDatabase(engine);
    dir = mkdtempSync(join(tmpdir(), 'vf-sim-resp-'));
  });
  afterAll(async () => {
    await t?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('applies every valid row once, records every invalid one with its reason, and reconciles', async () => {
    await t.db.unitOfWork(async (r) => {
      await r.tenants.ensure({ tenantId: TENANT, name: 'T1' });
      await r.transfers.insertOutbound({ tenantId: TENANT, fileId: 'out-1', vendorId: spec.id, kind: 'full', name: delivered, size: 1, sha256: 'x' });
    });
    for (let from = 0; from < EMPLOYEES; from += 250) {
      await t.db.unitOfWork(async (r) => {
        const ids = Array.from({ length: 250 }, (_, k) => id(from + k));
        await r.employees.upsertMany(ids.map((employeeId) => ({ tenantId: TENANT, employeeId, location: 'L', department: 'D', version: 1, data: {}, pii: null })));
        const rows = ids.flatMap((e) => PLANS.map((planCode) => ({ tenantId: TENANT, employeeId: e, vendorId: spec.id, planCode, fields: {} })));
        const recordIds = await r.benefitRecords.ensureMany(rows);
        await r.benefitRecords.insertFileMembers(TENANT, 'out-1', rows.map((row, k) => ({
          employeeId: row.employeeId, planCode: row.planCode, recordId: recordIds[k]!, recordVersion: 1, recordHash: 'h', maintenanceCode: '021', sent: {},
        })));
      });
    }
    // What the vendor received (the columns the simulator reads), and its answer with all mess on.
    const deliveredCsv = `employee_id,plan_code,coverage_start\r\n${Array.from({ length: EMPLOYEES }, (_, i) => PLANS.map((p) => `${id(i)},${p},01/01/2025`).join('\r\n')).join('\r\n')}\r\n`;
    const response = await generateResponse(spec, delivered, Buffer.from(deliveredCsv), { seed: 7, messy: true });
    const path = join(dir, response.name);
    writeFileSync(path, response.content);

    const policy = vendorPolicy({ schemes: ['https', 'http'], hosts: [documentHost(spec), '10.20.30.40'] });
    const resolver = mapResolver({ [documentHost(spec)]: ['93.184.216.34'] });
    const summary = await ingestFile({
      db: t.db, tenantId: TENANT, vendorId: spec.id, path, spec: ingestSpecFromVendor(spec), answersFileId: 'out-1',
      checkUrl: (url) => checkUrl(url, policy, { resolver }), chunkSize: 100,
    });
    expect(summary.status, summary.reason ?? '').toBe('applied');
    const rec = summary.reconciliation;
    expect(rec.received).toBe(response.rows);
    expect(rec.receivedIdentityHolds && rec.sentIdentityHolds && rec.crossChecksHold).toBe(true);
    expect(rec.sent).toBe(EMPLOYEES * PLANS.length);

    // An independent reading of the response tells what each line must have become.
    const rows = csvParse(response.content.toString('utf8').replace(/^\uFEFF/, ''), { columns: true, relax_column_count: true }) as Array<Record<string, string>>;
    const clean = (v: string) => v.replace(/[\u200B-\u200D\u2060\uFEFF]/g, '').replace(/\u00A0/g, ' ').trim();
    const errors = new Map<number, string[]>();
    for (const e of await t.db.unitOfWork((r) => r.ingest.rowErrorsPage(summary.fileId, 0, 1000))) errors.set(e.line, [...(errors.get(e.line) ?? []), e.code]);
    const records = new Map<string, { version: number; fields: Record<string, unknown> }>();
    for (let after: { employeeId: string; planCode: string } | null = null; ;) {
      const page = await t.db.unitOfWork((r) => r.benefitRecords.page(TENANT, spec.id, after, 1000));
      for (const b of page) records.set(`${b.employeeId}|${b.planCode}`, b);
      if (page.length < 1000) break;
      after = page[page.length - 1]!;
    }
    const seen = new Set<string>();
    let rejected = 0;
    for (const [k, row] of rows.entries()) {
      const line = k + 2;
      const employee = clean(row.employee_id!);
      const plan = clean(row.plan_code!);
      const codes = errors.get(line) ?? [];
      let expected: string | null = null;
      if (!employee) expected = 'REQUIRED_MISSING';
      else if (employee.startsWith('ZZ')) expected = 'UNKNOWN_EMPLOYEE';
      else if (!/^\d{4}-\d{2}-\d{2}$|^\d{2}\/\d{2}\/\d{4}$/.test(row.effective_date!) || row.effective_date === '2025-13-45') expected = 'INVALID_DATE';
      else if (seen.has(`${employee}|${plan}`)) expected = 'DUPLICATE_KEY';
      if (employee && !employee.startsWith('ZZ')) seen.add(`${employee}|${plan}`);
      if (expected) {
        rejected++;
        expect(codes, `line ${line}`).toContain(expected);
        continue;
      }
      const record = records.get(`${employee}|${plan}`)!;
      expect(record.version, `line ${line}`).toBe(2);
      expect(record.fields.memberId).toBe(clean(row.member_id!));
      expect(record.fields.message).toBe(clean(row.message!));
      if (row.id_card_url!.includes('10.20.30.40')) {
        expect(codes).toContain('URL_BLOCKED');
        expect(record.fields.idCardUrl).toBeUndefined();
      } else {
        expect(record.fields.idCardUrl).toBe(row.id_card_url);
      }
    }
    expect(rec.rejected).toBe(rejected);
    expect(rejected).toBeGreaterThanOrEqual(4);
    expect(rec.applied).toBe(rows.length - rejected);
    expect(rec.unknownEmployees).toBe(2);
  });
});
