import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestFile, type IngestSummary } from '../../src/pipeline/ingest/ingest-file.js';
import { createTestDatabase, ENGINES, type TestDatabase } from '../support/databases.js';
import {
  employeeId, messyResponse, OUTBOUND, RESPONSE_SPEC, recordsChecksum, seedTenant, TENANT, testUrlChecker, VENDOR,
} from '../support/ingest-fixture.js';

const EMPLOYEES = 1000; // 2,000 benefit records

describe.each(ENGINES)('ingest on %s', (engine) => {
  let t: TestDatabase;
  let dir: string;
  beforeAll(async () => {
    t = await createTestDatabase(engine);
    dir = mkdtempSync(join(tmpdir(), 'vf-ingest-'));
  });
  afterAll(async () => {
    await t?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('applies every valid row of a messy response once, records every invalid one, and reconciles', async () => {
    const seeded = await seedTenant(t.db, { employees: EMPLOYEES });
    const messy = messyResponse(EMPLOYEES);
    const path = join(dir, 'ACME_RESP_t1_0001.csv');
    writeFileSync(path, messy.bytes);
    const checkUrl = await testUrlChecker();
    const run = () => ingestFile({
      db: t.db, tenantId: TENANT, vendorId: VENDOR, path, spec: RESPONSE_SPEC, answersFileId: OUTBOUND, checkUrl, chunkSize: 100, reportDir: dir,
    });
    const summary = await run();
    expect(summary.status, summary.reason ?? '').toBe('applied');
    const rec = summary.reconciliation;
    expect(rec.received).toBe(messy.dataRows);
    expect(rec.rejected).toBe(messy.rejected.size);
    expect(rec.applied).toBe(messy.applied.size);
    expect(rec.conflicted).toBe(0);
    expect(rec.receivedIdentityHolds).toBe(true);
    expect(rec.sentIdentityHolds).toBe(true);
    expect(rec.crossChecksHold).toBe(true);
    expect(rec.sent).toBe(seeded.members);
    expect(rec.absent).toBe(messy.absent);
    expect(rec.unknownEmployees).toBe(2);

    // Each valid row applied exactly once, with normalised values; rejected ones untouched.
    const { versions, fields } = await recordsChecksum(t.db);
    for (const [key, expected] of messy.applied) {
      expect(versions.get(key), key).toBe(2);
      expect(fields.get(key), key).toEqual(expected);
    }
    const untouched = [...versions].filter(([k]) => !messy.applied.has(k));
    expect(untouched.every(([, v]) => v === 1)).toBe(true);

    // Every invalid row is in row_errors with its precise code; warnings are there too.
    const errors = await allRowErrors(t, summary.fileId);
    for (const [line, code] of messy.rejected) expect(errors.get(line), `line ${line}`).toContain(code);
    for (const [line, codes] of messy.warnings) for (const code of codes) expect(errors.get(line), `line ${line}`).toContain(code);
    const blocking = [...errors].filter(([, codes]) => codes.some((c) => !['DATE_AMBIGUOUS', 'URL_BLOCKED'].includes(c)));
    expect(blocking.map(([l]) => l).sort((a, b) => a - b)).toEqual([...messy.rejected.keys()].sort((a, b) => a - b));

    // Nothing sensitive in stored raw rows or messages.
    const raws = await rawRows(t, summary.fileId);
    expect(raws.some((r) => /\d{3}-\d{2}-\d{4}/.test(r))).toBe(false);

    // The discrepancy report lists the absent members and the rejected rows.
    const report = readFileSync(rec.reportPath!, 'utf8');
    expect(report.split('\r\n').filter((l) => l.startsWith('absent,')).length).toBe(messy.absent);
    expect(report).toContain('UNKNOWN_EMPLOYEE');
    // Each rejected row says whose answer it was, where the row named one.
    const rejectedLines = report.split('\r\n').filter((l) => l.startsWith('rejected,') || l.startsWith('unknown_employee,'));
    expect(rejectedLines.length).toBeGreaterThan(0);
    const named = rejectedLines.filter((l) => /^[a-z_]+,\d+,,[^,]+,[^,]+,/.test(l));
    expect(named.length).toBeGreaterThan(rejectedLines.length / 2);
    expect(report.split('\r\n').find((l) => l.startsWith('unknown_employee,'))).toMatch(/^unknown_employee,\d+,,\w+,/);

    // Re-ingesting the same file applies nothing twice.
    const before = await recordsChecksum(t.db);
    const again = await run();
    expect(again.alreadyIngested).toBe(true);
    expect((await recordsChecksum(t.db)).sha256).toBe(before.sha256);
    expect(again.reconciliation.applied).toBe(rec.applied);
  });

  it('quarantines a file above the error threshold, and structurally broken files, applying nothing', async () => {
    const before = await recordsChecksum(t.db);
    const cases: Array<[string, string | Buffer, RegExp]> = [
      ['bad.csv', `employee_id,plan_code,monthly_premium,coverage_start\r\n${Array.from({ length: 40 }, (_, i) => `${employeeId(i)},MED,${i % 10 === 0 ? 'x' : '1.00'},2025-01-01`).join('\r\n')}\r\n`, /4 of 40 rows rejected/],
      ['empty.csv', '', /^EMPTY/],
      ['header-only.csv', 'employee_id,plan_code,monthly_premium,coverage_start\r\n', /^HEADER_ONLY/],
      ['missing-col.csv', 'employee_id,monthly_premium,coverage_start\r\nE00001,1.00,2025-01-01\r\n', /^MISSING_COLUMN.*plan_code/],
      ['unclosed.csv', 'employee_id,plan_code,monthly_premium,coverage_start\r\nE00001,MED,"1.00,2025-01-01\r\n', /^UNCLOSED_QUOTE/],
    ];
    for (const [name, content, reason] of cases) {
      const path = join(dir, name);
      writeFileSync(path, content);
      const s: IngestSummary = await ingestFile({ db: t.db, tenantId: TENANT, vendorId: VENDOR, path, spec: RESPONSE_SPEC, chunkSize: 100 });
      expect(s.status, name).toBe('quarantined');
      expect(s.reason, name).toMatch(reason);
      expect(s.reconciliation.applied).toBe(0);
    }
    expect((await recordsChecksum(t.db)).sha256).toBe(before.sha256);
  });
});

async function allRowErrors(t: TestDatabase, fileId: string): Promise<Map<number, string[]>> {
  const out = new Map<number, string[]>();
  for (let after = 0; ;) {
    const page = await t.db.unitOfWork((r) => r.ingest.rowErrorsPage(fileId, after, 1000));
    for (const e of page) out.set(e.line, [...(out.get(e.line) ?? []), e.code]);
    if (page.length < 1000) break;
    after = page[page.length - 1]!.errorId;
  }
  return out;
}

async function rawRows(t: TestDatabase, fileId: string): Promise<string[]> {
  const page = await t.db.unitOfWork((r) => r.ingest.rowErrorsPage(fileId, 0, 1000));
  return page.flatMap((e) => [e.rawMasked ?? '', e.message]);
}

