import { read834, type X12Segment } from '../format/x12-834-reader.js';
import type { IngestColumn } from './ingest-spec.js';
import type { SourceRecord } from './validate-row.js';

/**
 * An 834 a vendor sends back (an audit or confirmation of what it holds), seen by ingest as rows: one
 * per coverage (loop 2300, HD) of a subscriber (INS01 = Y). The benefit record is per employee × plan,
 * so a dependant's loops (INS01 = N) answer no record of their own and are not rows. The virtual
 * columns, in this order, are what a row carries; an ingest spec picks them by name.
 *   employee_id      REF*0F of the member loop (the subscriber id our 834 sends), else NM109
 *   plan_code        HD04
 *   maintenance_code HD01
 *   benefit_status   INS05
 *   coverage_tier    HD05
 *   coverage_start   DTP*348 of the coverage (D8, read as yyyy-MM-dd)
 *   coverage_end     DTP*349 of the coverage
 *   reference        BGN02 of the transaction set
 * A row's line is the number of its HD segment in the interchange (ISA = 1), so a row error points
 * at the coverage. Its raw text is its INS, REF*0F, HD and DTP segments: never NM1 or DMG, which
 * carry the SSN and date of birth.
 */
export const X12_834_COLUMNS = ['employee_id', 'plan_code', 'maintenance_code', 'benefit_status', 'coverage_tier', 'coverage_start', 'coverage_end', 'reference'] as const;

/** The ingest columns of an 834 response: the key, and the coverage facts applied to the record. */
export function x12IngestColumns(): IngestColumn[] {
  return [
    { name: 'employee_id', type: 'string', required: true, role: 'employeeId' },
    { name: 'plan_code', type: 'string', required: true, role: 'planCode' },
    { name: 'maintenance_code', type: 'string', required: false, field: 'maintenanceCode' },
    { name: 'benefit_status', type: 'string', required: false, field: 'benefitStatus' },
    { name: 'coverage_tier', type: 'string', required: false, field: 'coverageTier' },
    { name: 'coverage_start', type: 'date', required: true, field: 'coverageStart' },
    { name: 'coverage_end', type: 'date', required: false, field: 'coverageEnd' },
  ];
}

/** An 834 is read whole (its loops are found from segment order): above this it is refused, not read. */
export const MAX_834_CHARS = 256 * 1024 * 1024;

/**
 * The rows of an 834 interchange, or the envelope problems that make it unreadable (segment and
 * control counts, control numbers, a missing ISA or IEA).
 */
export function rows834(text: string): { records: SourceRecord[]; problems: string[] } {
  let parsed: ReturnType<typeof read834>;
  try {
    parsed = read834(text);
  } catch (e) {
    return { records: [], problems: [(e as Error).message] };
  }
  if (parsed.problems.length) return { records: [], problems: parsed.problems };
  const { segments, members, delimiters } = parsed;
  const show = (s: X12Segment) => [s.id, ...s.elements].join(delimiters.element);
  const reference = parsed.transaction.reference;
  const records: SourceRecord[] = [];
  for (let m = 0; m < members.length; m++) {
    const member = members[m]!;
    if (!member.subscriber) continue;
    const end = members[m + 1]?.position ?? segments.length;
    const ins = segments[member.position]!;
    const ref = segments.slice(member.position, end).find((s) => s.id === 'REF' && s.elements[0] === '0F');
    // The reader lists a member's coverages in the order of their HD segments.
    const hds = segments.slice(member.position, end).filter((s) => s.id === 'HD');
    member.coverages.forEach((c, k) => {
      const hd = hds[k]!;
      const dtps: X12Segment[] = [];
      for (let i = hd.position + 1; i < end && segments[i]!.id === 'DTP'; i++) dtps.push(segments[i]!);
      const fields = [member.subscriberId ?? member.id ?? '', c.planCode, c.maintenanceCode, member.benefitStatus, c.tier ?? '', c.dates['348'] ?? '', c.dates['349'] ?? '', reference];
      const raw = [ins, ...(ref ? [ref] : []), hd, ...dtps].map(show).join(delimiters.segment);
      records.push({ fields, line: hd.position + 1, raw });
    });
  }
  return { records, problems: [] };
}
