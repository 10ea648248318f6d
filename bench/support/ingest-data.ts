import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import type { IngestSpecInput } from '../../src/pipeline/ingest/ingest-spec.js';

/** The response layout the ingest benchmark reads: keys, amounts in vendor styles, mixed dates, URLs, quoted notes. */
export const BENCH_SPEC: IngestSpecInput = {
  format: 'csv',
  columns: [
    { name: 'employee_id', role: 'employeeId', required: true },
    { name: 'plan_code', role: 'planCode', required: true },
    { name: 'monthly_premium', type: 'money', field: 'monthlyPremium', required: true },
    { name: 'employer_contribution', type: 'money', field: 'employerContribution' },
    { name: 'deduction_per_period', type: 'money', field: 'deductionPerPeriod' },
    { name: 'coverage_start', type: 'date', field: 'coverageStart', required: true },
    { name: 'plan_document_url', type: 'url', field: 'planDocumentUrl' },
    { name: 'note', field: 'vendorNote' },
  ],
  dateFormats: ['yyyy-MM-dd', 'MM/dd/yyyy', 'dd-MMM-yyyy', 'yyyyMMdd'],
  errorThreshold: 0.05,
};

export const HEADER = 'employee_id,plan_code,monthly_premium,employer_contribution,deduction_per_period,coverage_start,plan_document_url,note';
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

export const benchEmployee = (i: number) => `E${String(i).padStart(7, '0')}`;

/** What pass 1 reads out of responseRow(i, plan, premium): the values applied to the benefit record. */
export function responseValues(i: number, plan: string, premium = 100 + (i % 900)): Record<string, string> {
  const d = 1 + (i % 28);
  const m = 1 + (i % 12);
  return {
    monthlyPremium: `1${String(premium).padStart(3, '0')}.50`, employerContribution: '400.00', deductionPerPeriod: '-12.50',
    coverageStart: `2025-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`,
    planDocumentUrl: `https://docs.acme.example/plans/${plan.toLowerCase()}-${i % 50}.pdf`,
    vendorNote: i % 3 === 0 ? `Coverage confirmed - member ${i}` : `Coverage confirmed, tier "EE" (member ${i})`,
  };
}

/**
 * Row i of a response (about 150 bytes), as messy as vendors write them while still valid: a third
 * without any quote, the rest with quoted commas and doubled quotes; amounts with currency signs,
 * thousands separators, parentheses, padding and NBSP; four date formats; zero-width characters.
 * `premium` lets apply runs write a value that differs from the seed.
 */
export function responseRow(i: number, plan: string, premium = 100 + (i % 900)): string {
  const d = 1 + (i % 28);
  const m = 1 + (i % 12);
  const mm = String(m).padStart(2, '0');
  const dd = String(d).padStart(2, '0');
  const date = [`2025-${mm}-${dd}`, `${mm}/${dd}/2025`, `${dd}-${MONTHS[m - 1]}-2025`, `2025${mm}${dd}`][i % 4];
  const p = String(premium).padStart(3, '0');
  const nbsp = i % 5 === 1 ? '\u00A0' : '';
  const zw = i % 7 === 2 ? '\u200B' : '';
  const employer = i % 11 === 4 ? ' 400 ' : '$400.00';
  const url = `https://docs.acme.example/plans/${plan.toLowerCase()}-${i % 50}.pdf`;
  if (i % 3 === 0) return `${benchEmployee(i)}${zw},${plan},${nbsp}$1${p}.50 ,${employer},(12.50),${date},${url},Coverage ${zw}confirmed - member ${i}`;
  return `${benchEmployee(i)}${zw},${plan},"${nbsp}$1,${p}.50",${employer},(12.50),${date},${url},"Coverage ${zw}confirmed, tier ""EE"" (member ${i})"`;
}

/** A row pass 1 rejects (a date that does not exist), in the same layout. */
export function invalidRow(i: number, plan: string): string {
  return responseRow(i, plan).replace(/,[^,]*2025[^,]*,https/, ',2025-02-30,https');
}

/**
 * Writes a response file of about `bytes` bytes; returns its data-row count. With `invalidEvery`, every
 * such row is one pass 1 rejects (row errors are part of what it costs).
 */
export async function writeResponseFile(path: string, bytes: number, opts: { invalidEvery?: number } = {}): Promise<number> {
  const out = createWriteStream(path);
  let written = 0;
  let rows = 0;
  let buf = `${HEADER}\r\n`;
  while (written + buf.length < bytes) {
    for (let k = 0; k < 2000; k++, rows++) {
      const plan = rows % 2 ? 'DEN' : 'MED';
      buf += `${opts.invalidEvery && rows % opts.invalidEvery === opts.invalidEvery - 1 ? invalidRow(rows, plan) : responseRow(rows, plan)}\r\n`;
    }
    written += buf.length;
    if (!out.write(buf)) await once(out, 'drain');
    buf = '';
  }
  out.end();
  await once(out, 'close');
  return rows;
}
