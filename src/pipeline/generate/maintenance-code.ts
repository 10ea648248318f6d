import type { MaintenanceCode } from '../format/outbound-record.js';

/**
 * Which maintenance code a record gets, against the hash of what the vendor last received
 * (`delivered`, from the last *delivered* file; undefined when the vendor never had it):
 * - full file: every current record, 030 (audit); ended coverage is left out (absence terminates);
 * - change file: new → 021, different → 001, coverage ended → 024, same → not sent; a record the
 *   vendor never had whose coverage already ended is not sent either.
 * null means the record is not in the file.
 */
export function maintenanceCode(kind: 'full' | 'change', record: { hash: string; ended: boolean }, delivered: string | undefined): MaintenanceCode | null {
  if (kind === 'full') return record.ended ? null : '030';
  if (delivered === undefined) return record.ended ? null : '021';
  if (record.ended) return '024';
  return delivered === record.hash ? null : '001';
}
