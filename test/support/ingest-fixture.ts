import { createHash } from 'node:crypto';
import type { Database } from '../../src/engines/database/port.js';
import type { IngestSpecInput } from '../../src/pipeline/ingest/ingest-spec.js';

/**
 * A tenant with employees, benefit records for one vendor and an outbound file that carried them,
 * inserted directly (as the generation stage would leave them), and a vendor response with every
 * kind of real-world mess, with the outcome each line must have.
 */
export const RESPONSE_SPEC: IngestSpecInput = {
  format: 'csv',
  encoding: 'utf-8',
  columns: [
    { name: 'employee_id', role: 'employeeId', required: true },
    { name: 'plan_code', role: 'planCode', required: true },
    { name: 'monthly_premium', type: 'money', field: 'monthlyPremium', required: true },
    { name: 'employer_contribution', type: 'money', field: 'employerContribution' },
    { name: 'deduction_per_period', type: 'money', field: 'deductionPerPeriod' },
    { name: 'coverage_start', type: 'date', field: 'coverageStart', required: true },
    { name: 'coverage_end', type: 'date', field: 'coverageEnd' },
    { name: 'plan_document_url', type: 'url', field: 'planDocumentUrl' },
    { name: 'member_ssn', type: 'ssn', sensitive: true },
    { name: 'note', field: 'vendorNote' },
  ],
  dateFormats: ['yyyy-MM-dd', 'MM/dd/yyyy', 'dd/MM/yyyy', 'dd-MMM-yyyy', 'yyyyMMdd'],
  ambiguousDates: 'month-first',
  dateOrder: [{ start: 'coverage_start', end: 'coverage_end' }],
  errorThreshold: 0.05,
};

export const PLANS = ['MED', 'DEN'];
export const TENANT = 't1';
export const VENDOR = 'acme';
export const OUTBOUND = 'out-1';

export interface Seeded { records: number; members: number }

export async function seedTenant(db: Database, opts: { employees: number; absent?: number }): Promise<Seeded> {
  await db.unitOfWork(async (r) => {
    await r.tenants.ensure({ tenantId: TENANT, name: 'Tenant one' });
    await r.transfers.insertOutbound({ tenantId: TENANT, fileId: OUTBOUND, vendorId: VENDOR, kind: 'full', name: 'ACME_ENROLL_t1_0001.csv', size: 1, sha256: 'x' });
  });
  let members = 0;
  for (let from = 0; from < opts.employees; from += 500) {
    const ids = Array.from({ length: Math.min(500, opts.employees - from) }, (_, i) => employeeId(from + i));
    await db.unitOfWork(async (r) => {
      await r.employees.upsertMany(ids.map((employeeId) => ({ tenantId: TENANT, employeeId, location: 'L1', department: 'D1', version: 1, data: {}, pii: null })));
      const rows = ids.flatMap((e) => PLANS.map((planCode) => ({ tenantId: TENANT, employeeId: e, vendorId: VENDOR, planCode, fields: { tier: 'EE', monthlyPremium: '0.00' } })));
      const recordIds = await r.benefitRecords.ensureMany(rows);
      const sent = rows.map((row, i) => ({
        employeeId: row.employeeId, planCode: row.planCode, recordId: recordIds[i]!, recordVersion: 1, recordHash: 'h',
        maintenanceCode: '021', sent: row.fields,
      }));
      await r.benefitRecords.insertFileMembers(TENANT, OUTBOUND, sent);
      members += sent.length;
    });
  }
  return { records: opts.employees * PLANS.length, members };
}

export const employeeId = (i: number) => `E${String(i + 1).padStart(5, '0')}`;

export interface MessyResponse {
  bytes: Buffer;
  /** line -> the blocking code that line must be rejected with */
  rejected: Map<number, string>;
  /** line -> the warning codes it must carry (the row is still applied) */
  warnings: Map<number, string[]>;
  /** `employee|plan` -> the fields the record must end with */
  applied: Map<string, Record<string, string>>;
  dataRows: number;
  /** Members sent but left out of the response, or answered by a row whose key cannot be read. */
  absent: number;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const q = (v: string) => (/[",\r\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v);

/**
 * Every employee × plan answered except `absent` members; one row in 50 is broken in one of several
 * ways (a few under the 5% threshold). Mess everywhere: BOM, CRLF, mixed date formats, zero-width and
 * non-breaking spaces, currency symbols, thousands separators, parentheses negatives, quoted commas,
 * quotes and newlines, an invalid UTF-8 byte, a URL to a private address, unknown employees, a duplicate.
 */
export function messyResponse(employees: number, absent = 7): MessyResponse {
  const parts: Buffer[] = [Buffer.from('\uFEFFemployee_id,plan_code,monthly_premium,employer_contribution,deduction_per_period,coverage_start,coverage_end,plan_document_url,member_ssn,note\r\n')];
  const rejected = new Map<number, string>();
  const warnings = new Map<number, string[]>();
  const warn = (l: number, code: string) => warnings.set(l, [...(warnings.get(l) ?? []), code]);
  const applied = new Map<string, Record<string, string>>();
  let line = 2;
  let n = 0;
  const breakers = ['INVALID_DATE', 'INVALID_AMOUNT', 'REQUIRED_MISSING', 'DATE_ORDER', 'ENCODING_INVALID', 'INVALID_SSN'];
  for (let i = 0; i < employees; i++) {
    for (const plan of PLANS) {
      if (i < absent && plan === 'DEN') continue; // sent but absent from the response
      n++;
      const cents = 10000 + ((i * 37 + plan.length * 11) % 90000);
      const premium = `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;
      const day = 1 + (i % 28);
      const month = 1 + (i % 12);
      const iso = `2025-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
      const style = i % 4;
      const start = style === 0 ? iso : style === 1 ? `${String(month).padStart(2, '0')}/${String(day).padStart(2, '0')}/2025`
        : style === 2 ? `${String(day).padStart(2, '0')}-${MONTHS[month - 1]}-2025` : iso.replaceAll('-', '');
      const prem = Number(premium) >= 1000 ? `$${premium.replace(/^(\d+)(\d{3})\./, '$1,$2.')}` : `$${premium}`;
      const fields = [employeeId(i), plan, prem, '\u00A0$400.00 ', '(12.50)', start, '', `https://docs.acme.example/plans/${plan.toLowerCase()}.pdf`,
        `${100 + (i % 800)}-55-${String(1000 + i).slice(-4)}`, `ok, "fine"\u200B`];
      const expected: Record<string, string> = {
        monthlyPremium: premium, employerContribution: '400.00', deductionPerPeriod: '-12.50', coverageStart: iso,
        planDocumentUrl: fields[7]!, vendorNote: 'ok, "fine"', tier: 'EE',
      };
      let raw: Buffer | null = null;
      const kind = n % 50 === 0 ? breakers[(n / 50) % breakers.length]! : null;
      if (kind === 'INVALID_DATE') fields[5] = '2025-02-30';
      else if (kind === 'INVALID_AMOUNT') fields[2] = '12,34';
      else if (kind === 'REQUIRED_MISSING') fields[1] = '\u200B ';
      else if (kind === 'DATE_ORDER') { fields[5] = '2025-06-01'; fields[6] = '2025-05-31'; } else if (kind === 'INVALID_SSN') fields[8] = '12-345';
      else if (kind === 'ENCODING_INVALID') raw = Buffer.concat([Buffer.from(`${fields.slice(0, 9).map(q).join(',')},bad `), Buffer.from([0xc3, 0x28]), Buffer.from('\r\n')]);
      if (kind) rejected.set(line, kind);
      if (!kind && n % 97 === 0) { // ambiguous: 02/03/2025 read month-first
        fields[5] = '02/03/2025';
        expected.coverageStart = '2025-02-03';
        warn(line, 'DATE_AMBIGUOUS');
      } else if (!kind && n % 89 === 0) { // a URL into a private network: row applied, URL dropped
        fields[7] = 'https://10.0.0.7/plan.pdf';
        delete expected.planDocumentUrl;
        warn(line, 'URL_BLOCKED');
      } else if (!kind && n % 83 === 0) { // a multi-line quoted note
        fields[9] = 'line one\r\nline "two"';
        expected.vendorNote = 'line one\r\nline "two"';
      }
      if (!kind && style === 1 && day <= 12 && day !== month && fields[5] === start) warn(line, 'DATE_AMBIGUOUS');
      parts.push(raw ?? Buffer.from(`${fields.map(q).join(',')}\r\n`));
      line += fields[9]!.includes('\n') && !raw ? 2 : 1;
      if (!kind) applied.set(`${employeeId(i)}|${plan}`, expected);
    }
  }
  // Unknown employees and a duplicate of an earlier (valid) key: rejected, the first row wins.
  for (const extra of [['X99999', 'MED'], ['X99998', 'DEN'], [employeeId(employees - 1), 'MED']] as const) {
    parts.push(Buffer.from(`${extra[0]},${extra[1]},$1.00,,,2025-01-01,,,,dup\r\n`));
    rejected.set(line++, extra[0].startsWith('X') ? 'UNKNOWN_EMPLOYEE' : 'DUPLICATE_KEY');
    n++;
  }
  return { bytes: Buffer.concat(parts), rejected, warnings, applied, dataRows: n, absent: absent + [...rejected.values()].filter((c) => c === 'REQUIRED_MISSING').length };
}

/** Checksum over what a tenant's records say (not ids or timestamps). */
export async function recordsChecksum(db: Database): Promise<{ sha256: string; versions: Map<string, number>; fields: Map<string, Record<string, unknown>> }> {
  const hash = createHash('sha256');
  const versions = new Map<string, number>();
  const fields = new Map<string, Record<string, unknown>>();
  let after: { employeeId: string; planCode: string } | null = null;
  for (;;) {
    const page = await db.unitOfWork((r) => r.benefitRecords.page(TENANT, VENDOR, after, 1000));
    for (const b of page) {
      const sorted = Object.fromEntries(Object.entries(b.fields).sort(([a], [c]) => a.localeCompare(c)));
      hash.update(JSON.stringify([b.tenantId, b.employeeId, b.vendorId, b.planCode, b.version, sorted]));
      versions.set(`${b.employeeId}|${b.planCode}`, b.version);
      fields.set(`${b.employeeId}|${b.planCode}`, b.fields);
    }
    if (page.length < 1000) break;
    after = { employeeId: page[page.length - 1]!.employeeId, planCode: page[page.length - 1]!.planCode };
  }
  return { sha256: hash.digest('hex'), versions, fields };
}

/** A URL guard answering from a fixed map (no system DNS here): the vendor's docs host is public. */
export async function testUrlChecker() {
  const { checkUrl, mapResolver, vendorPolicy } = await import('../../src/security/ssrf/index.js');
  const policy = vendorPolicy({ schemes: ['https'], hosts: ['docs.acme.example', '10.0.0.7'] });
  const resolver = mapResolver({ 'docs.acme.example': ['93.184.216.34'] });
  return (url: string) => checkUrl(url, policy, { resolver });
}
