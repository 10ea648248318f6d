import { createHash } from 'node:crypto';
import type { Election } from '../../shared/snapshot.js';

/**
 * One outbound record: an employee × plan, as the vendor will see it. Its `image` is the format's
 * resolved values (lines of column values for CSV and fixed-width, the member structure for an 834),
 * JSON-serialisable so it can be stored as "what was sent" and re-rendered from there (a member who
 * vanished from the run is terminated from the image of the last delivered file).
 */
export type MaintenanceCode = '021' | '001' | '024' | '030';
export const MAINTENANCE_REASONS: Record<MaintenanceCode, string> = {
  '021': 'addition', '001': 'change', '024': 'termination', '030': 'audit',
};

export interface LinesImage { kind: 'lines'; lines: Array<Record<string, string | null>> }

export interface Person834 {
  relationship: string; // X12 individual relationship code (18 self, 01 spouse, 19 child, 53 partner)
  memberId: string;
  lastName: string; firstName: string; middleName: string | null;
  ssn: string | null; dateOfBirth: string | null; gender: string;
  phone: string | null; email: string | null;
  address: { line1: string; line2: string | null; city: string; state: string; postalCode: string } | null;
}
export interface X12Image {
  kind: 'x12';
  subscriberId: string;
  employmentStatus: 'FT' | 'PT' | 'TE';
  hireDate: string;
  subscriber: Person834;
  dependents: Person834[];
  coverage: { insuranceLine: string; planCode: string; tier: string; start: string; end: string | null };
}
export type RecordImage = LinesImage | X12Image;

export interface OutboundRecord {
  employeeId: string;
  planCode: string;
  planType: Election['planType'];
  code: MaintenanceCode;
  image: RecordImage;
  /** sha256 of the image: equal hashes mean the vendor already has exactly this record. */
  hash: string;
}

export function imageHash(image: RecordImage): string {
  return createHash('sha256').update(JSON.stringify(image)).digest('hex');
}

/**
 * Splits an image into the part stored as plain JSON and the sensitive part sealed at rest.
 * `sensitiveColumns` names the line columns to seal; an 834 image seals SSNs, birth dates, addresses.
 */
export function splitImage(image: RecordImage, sensitiveColumns: ReadonlySet<string>): { plain: RecordImage; sealed: unknown } {
  if (image.kind === 'lines') {
    // A copy of the line (cheap: same shape, same key order) with the few sensitive keys blanked;
    // walking every key of a wide line, twice, cost more than writing it.
    const plain: Array<Record<string, string | null>> = [];
    const sealed: Array<Record<string, string | null>> = [];
    for (const l of image.lines) {
      const p = { ...l };
      const s: Record<string, string | null> = {};
      for (const k of sensitiveColumns) {
        if (!Object.hasOwn(l, k)) continue;
        s[k] = l[k]!;
        p[k] = null;
      }
      plain.push(p);
      sealed.push(s);
    }
    return { plain: { kind: 'lines', lines: plain }, sealed };
  }
  const strip = (p: Person834): Person834 => ({ ...p, ssn: null, dateOfBirth: null, address: null });
  const keep = (p: Person834) => ({ ssn: p.ssn, dateOfBirth: p.dateOfBirth, address: p.address });
  return {
    plain: { ...image, subscriber: strip(image.subscriber), dependents: image.dependents.map(strip) },
    sealed: { subscriber: keep(image.subscriber), dependents: image.dependents.map(keep) },
  };
}

export function joinImage(plain: RecordImage, sealed: unknown): RecordImage {
  if (plain.kind === 'lines') {
    const s = sealed as Array<Record<string, string | null>>;
    return { kind: 'lines', lines: plain.lines.map((l, i) => ({ ...l, ...s[i] })) };
  }
  const s = sealed as { subscriber: Partial<Person834>; dependents: Array<Partial<Person834>> };
  return {
    ...plain,
    subscriber: { ...plain.subscriber, ...s.subscriber },
    dependents: plain.dependents.map((d, i) => ({ ...d, ...s.dependents[i] })),
  };
}
