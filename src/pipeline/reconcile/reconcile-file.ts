import { once } from 'node:events';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Database } from '../../engines/database/port.js';
import { WARNING_CODES } from '../ingest/validate-row.js';

export interface Reconciliation {
  received: number;
  applied: number;
  /** Of `applied`: applied on a newer version because the concurrent change touched other fields. */
  merged: number;
  rejected: number;
  conflicted: number;
  skipped: number;
  /** received = applied + rejected + conflicted + skipped, with each term counted independently. */
  receivedIdentityHolds: boolean;
  /** Null for a response that answers no outbound file. */
  sent: number | null;
  matched: number | null;
  absent: number | null;
  /** sent = matched + absent (true when there is no outbound file). */
  sentIdentityHolds: boolean;
  unknownEmployees: number;
  /** Every count agrees with the rows that carry it (audit rows, conflicts, row errors). */
  crossChecksHold: boolean;
  reportPath: string | null;
}

const PAGE = 1000;

/**
 * Counts a file's outcome and checks the two identities; writes the discrepancy report (absent
 * members, rejected rows, conflicts) as CSV when `reportDir` is given. Reads keyset pages only.
 */
export async function reconcileFile(db: Database, opts: { fileId: string; reportDir?: string; reportName?: string }): Promise<Reconciliation> {
  const { fileId } = opts;
  const { cp, file, counts, rejectedLines, unknownEmployees } = await db.unitOfWork(async (r) => {
    const file = await r.ingest.getFile(fileId);
    const cp = await r.ingest.getCheckpoint(fileId);
    if (!file || !cp) throw new Error(`no ingest of file ${fileId}`);
    return {
      file, cp,
      counts: await r.ingest.counts(fileId, file.answersFileId),
      rejectedLines: await r.ingest.countRejectedLines(fileId, WARNING_CODES),
      unknownEmployees: await r.ingest.countRowErrors(fileId, 'UNKNOWN_EMPLOYEE'),
    };
  });
  const applied = cp.applied + cp.merged;
  const sentIdentityHolds = counts.sent === null || counts.sent === counts.matched! + counts.absent!;
  const result: Reconciliation = {
    received: cp.received, applied, merged: cp.merged, rejected: cp.rejected, conflicted: cp.conflicted, skipped: cp.skipped,
    receivedIdentityHolds: cp.received === applied + cp.rejected + cp.conflicted + cp.skipped,
    sent: counts.sent, matched: counts.matched, absent: counts.absent, sentIdentityHolds, unknownEmployees,
    crossChecksHold: counts.auditRows === applied && counts.conflictRows === cp.conflicted && rejectedLines === cp.rejected,
    reportPath: null,
  };
  if (opts.reportDir) result.reportPath = await writeReport(db, opts.reportDir, opts.reportName ?? `${fileId}-discrepancies.csv`, fileId, file.answersFileId);
  return result;
}

async function writeReport(db: Database, dir: string, name: string, fileId: string, answersFileId: string | null): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, name);
  const out = createWriteStream(path, { mode: 0o600 });
  const write = async (cells: Array<string | number>) => {
    if (!out.write(`${cells.map(csvCell).join(',')}\r\n`)) await once(out, 'drain');
  };
  await write(['kind', 'line', 'record_id', 'employee_id', 'plan_code', 'column', 'code', 'detail']);
  if (answersFileId) {
    for (let after = 0; ;) {
      const page = await db.unitOfWork((r) => r.ingest.absentMembers(fileId, answersFileId, after, PAGE));
      for (const m of page) await write(['absent', '', m.recordId, m.employeeId, m.planCode, '', 'ABSENT', 'sent but not in the response']);
      if (page.length < PAGE) break;
      after = page[page.length - 1]!.recordId;
    }
  }
  for (let after = 0; ;) {
    const page = await db.unitOfWork((r) => r.ingest.rowErrorsPage(fileId, after, PAGE));
    for (const e of page) {
      const kind = e.code === 'UNKNOWN_EMPLOYEE' ? 'unknown_employee' : (WARNING_CODES as readonly string[]).includes(e.code) ? 'warning' : 'rejected';
      await write([kind, e.line, '', e.employeeId ?? '', e.planCode ?? '', e.col, e.code, e.message]);
    }
    if (page.length < PAGE) break;
    after = page[page.length - 1]!.errorId;
  }
  for (let after = 0; ;) {
    const page = await db.unitOfWork((r) => r.ingest.conflictsPage(fileId, after, PAGE));
    for (const c of page) await write(['conflict', c.line, c.recordId, c.employeeId ?? '', c.planCode ?? '', '', 'CONFLICT', `expected version ${c.expectedVersion}, found ${c.actualVersion}`]);
    if (page.length < PAGE) break;
    after = page[page.length - 1]!.conflictId;
  }
  out.end();
  await once(out, 'close');
  return path;
}

/** RFC 4180 quoting, and a leading quote on cells a spreadsheet would run as a formula. */
function csvCell(v: string | number): string {
  let s = String(v);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}
