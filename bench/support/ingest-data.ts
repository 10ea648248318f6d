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

/** Row i of a response (about 200 bytes); `premium` lets apply runs write a value that differs from the seed. */
export function responseRow(i: number, plan: string, premium = 100 + (i % 900)): string {
  const d = 1 + (i % 28);
  const m = 1 + (i % 12);
  const mm = String(m).padStart(2, '0');
  const dd = String(d).padStart(2, '0');
  const date = [`2025-${mm}-${dd}`, `${mm}/${dd}/2025`, `${dd}-${MONTHS[m - 1]}-2025`, `2025${mm}${dd}`][i % 4];
  return `${benchEmployee(i)},${plan},"$1,${String(premium).padStart(3, '0')}.50",$400.00,(12.50),${date},https://docs.acme.example/plans/${plan.toLowerCase()}-${i % 50}.pdf,"Coverage confirmed, tier ""EE"" (member ${i})"`;
}

/** Writes a response file of about `bytes` bytes; returns its row count. */
export async function writeResponseFile(path: string, bytes: number): Promise<number> {
  const out = createWriteStream(path);
  let written = 0;
  let rows = 0;
  let buf = `${HEADER}\r\n`;
  while (written + buf.length < bytes) {
    for (let k = 0; k < 2000; k++) buf += `${responseRow(rows++, rows % 2 ? 'MED' : 'DEN')}\r\n`;
    written += buf.length;
    if (!out.write(buf)) await once(out, 'drain');
    buf = '';
  }
  out.end();
  await once(out, 'close');
  return rows;
}
