/**
 * Reads an ASC X12 834 back into members: delimiters from the ISA (element separator at byte 3,
 * component separator ISA16, segment terminator right after it), loops from segment order, and the
 * envelope checked (SE01 segment count, SE02 = ST02, GE01 / IEA01 counts, GE02 = GS06, IEA02 = ISA13).
 * A structural problem is returned in `problems`, not thrown, so a caller can report all of them.
 */
export interface X12Segment { id: string; elements: string[]; position: number }

export interface Read834Member {
  position: number;
  subscriber: boolean;
  relationship: string;
  maintenanceCode: string;
  reason: string;
  benefitStatus: string;
  employmentStatus: string | null;
  subscriberId: string | null;
  groupNumber: string | null;
  dates: Record<string, string>;
  lastName: string; firstName: string; middleName: string | null;
  idQualifier: string | null; id: string | null;
  phone: string | null; email: string | null;
  address: { line1: string; line2: string | null; city: string; state: string; postalCode: string } | null;
  dateOfBirth: string | null; gender: string | null;
  coverages: Array<{ maintenanceCode: string; insuranceLine: string; planCode: string; tier: string | null; dates: Record<string, string> }>;
}

export interface Read834 {
  delimiters: { element: string; component: string; repetition: string; segment: string };
  interchange: { senderId: string; receiverId: string; date: string; time: string; controlNumber: string; usage: string };
  group: { senderId: string; receiverId: string; controlNumber: string; version: string };
  transaction: {
    controlNumber: string; purpose: string; reference: string; action: string | null;
    policyNumber: string | null; effectiveDate: string | null; quantities: Record<string, number>;
    sponsor: { name: string; qualifier: string | null; id: string | null } | null;
    payer: { name: string; qualifier: string | null; id: string | null } | null;
  };
  members: Read834Member[];
  segments: X12Segment[];
  problems: string[];
}

export function splitSegments(text: string): { delimiters: Read834['delimiters']; segments: X12Segment[] } {
  const start = text.indexOf('ISA');
  if (start < 0 || text.length < start + 106) throw new Error('not an X12 interchange: no ISA segment');
  const element = text[start + 3]!;
  const isaFields = text.slice(start, start + 106).split(element);
  if (isaFields.length < 17) throw new Error('not an X12 interchange: malformed ISA segment');
  const component = isaFields[16]![0]!;
  const segment = text[start + 105]!;
  const delimiters = { element, component, repetition: isaFields[11]!, segment };
  const segments: X12Segment[] = [];
  for (const raw of text.slice(start).split(segment)) {
    const s = raw.replace(/^[\r\n]+/, '');
    if (!s.trim()) continue;
    const [id, ...elements] = s.split(element);
    segments.push({ id: id!, elements, position: segments.length });
  }
  return { delimiters, segments };
}

const isoDate = (d8: string | undefined) => (d8 && /^\d{8}$/.test(d8) ? `${d8.slice(0, 4)}-${d8.slice(4, 6)}-${d8.slice(6)}` : (d8 ?? ''));
const opt = (v: string | undefined) => (v === undefined || v === '' ? null : v);

export function read834(text: string): Read834 {
  const { delimiters, segments } = splitSegments(text);
  const problems: string[] = [];
  const el = (s: X12Segment | undefined, n: number) => s?.elements[n - 1] ?? '';
  const isa = segments[0]!;
  const result: Read834 = {
    delimiters,
    interchange: { senderId: el(isa, 6).trim(), receiverId: el(isa, 8).trim(), date: el(isa, 9), time: el(isa, 10), controlNumber: el(isa, 13), usage: el(isa, 15) },
    group: { senderId: '', receiverId: '', controlNumber: '', version: '' },
    transaction: { controlNumber: '', purpose: '', reference: '', action: null, policyNumber: null, effectiveDate: null, quantities: {}, sponsor: null, payer: null },
    members: [],
    segments,
    problems,
  };
  let stStart = -1;
  let groups = 0;
  let transactions = 0;
  let member: Read834Member | null = null;
  let inCoverage = false;
  for (const s of segments) {
    switch (s.id) {
      case 'GS':
        groups++;
        result.group = { senderId: el(s, 2), receiverId: el(s, 3), controlNumber: el(s, 6), version: el(s, 8) };
        transactions = 0;
        break;
      case 'ST':
        transactions++;
        stStart = s.position;
        if (el(s, 1) !== '834') problems.push(`segment ${s.position + 1}: ST01 is ${el(s, 1)}, expected 834`);
        result.transaction.controlNumber = el(s, 2);
        break;
      case 'BGN':
        Object.assign(result.transaction, { purpose: el(s, 1), reference: el(s, 2), action: opt(el(s, 8)) });
        break;
      case 'REF':
        if (member) {
          if (el(s, 1) === '0F') member.subscriberId = el(s, 2);
          else if (el(s, 1) === '1L') member.groupNumber = el(s, 2);
        } else if (el(s, 1) === '38') result.transaction.policyNumber = el(s, 2);
        break;
      case 'DTP': {
        const date = isoDate(el(s, 3));
        if (!member) result.transaction.effectiveDate = date;
        else if (inCoverage) member.coverages[member.coverages.length - 1]!.dates[el(s, 1)] = date;
        else member.dates[el(s, 1)] = date;
        break;
      }
      case 'QTY':
        result.transaction.quantities[el(s, 1)] = Number(el(s, 2));
        break;
      case 'N1': {
        const party = { name: el(s, 2), qualifier: opt(el(s, 3)), id: opt(el(s, 4)) };
        if (el(s, 1) === 'P5') result.transaction.sponsor = party;
        else if (el(s, 1) === 'IN') result.transaction.payer = party;
        break;
      }
      case 'INS':
        if (!result.transaction.sponsor || !result.transaction.payer) problems.push(`segment ${s.position + 1}: INS before loops 1000A/1000B`);
        member = {
          position: s.position, subscriber: el(s, 1) === 'Y', relationship: el(s, 2), maintenanceCode: el(s, 3), reason: el(s, 4),
          benefitStatus: el(s, 5), employmentStatus: opt(el(s, 8)), subscriberId: null, groupNumber: null, dates: {},
          lastName: '', firstName: '', middleName: null, idQualifier: null, id: null, phone: null, email: null, address: null,
          dateOfBirth: null, gender: null, coverages: [],
        };
        result.members.push(member);
        inCoverage = false;
        break;
      case 'NM1':
        if (member) Object.assign(member, { lastName: el(s, 3), firstName: el(s, 4), middleName: opt(el(s, 5)), idQualifier: opt(el(s, 8)), id: opt(el(s, 9)) });
        break;
      case 'PER':
        if (member) {
          for (let i = 3; i < s.elements.length; i += 2) {
            if (el(s, i) === 'TE') member.phone = el(s, i + 1);
            if (el(s, i) === 'EM') member.email = el(s, i + 1);
          }
        }
        break;
      case 'N3':
        if (member) member.address = { line1: el(s, 1), line2: opt(el(s, 2)), city: '', state: '', postalCode: '' };
        break;
      case 'N4':
        if (member?.address) Object.assign(member.address, { city: el(s, 1), state: el(s, 2), postalCode: el(s, 3) });
        break;
      case 'DMG':
        if (member) Object.assign(member, { dateOfBirth: isoDate(el(s, 2)), gender: opt(el(s, 3)) });
        break;
      case 'HD':
        if (member) {
          member.coverages.push({ maintenanceCode: el(s, 1), insuranceLine: el(s, 3), planCode: el(s, 4), tier: opt(el(s, 5)), dates: {} });
          inCoverage = true;
        }
        break;
      case 'SE': {
        const count = s.position - stStart + 1;
        if (Number(el(s, 1)) !== count) problems.push(`SE01 is ${el(s, 1)}, the transaction has ${count} segments`);
        if (el(s, 2) !== result.transaction.controlNumber) problems.push(`SE02 ${el(s, 2)} does not match ST02 ${result.transaction.controlNumber}`);
        member = null;
        break;
      }
      case 'GE':
        if (Number(el(s, 1)) !== transactions) problems.push(`GE01 is ${el(s, 1)}, the group has ${transactions} transaction sets`);
        if (el(s, 2) !== result.group.controlNumber) problems.push(`GE02 ${el(s, 2)} does not match GS06 ${result.group.controlNumber}`);
        break;
      case 'IEA':
        if (Number(el(s, 1)) !== groups) problems.push(`IEA01 is ${el(s, 1)}, the interchange has ${groups} groups`);
        if (el(s, 2) !== result.interchange.controlNumber) problems.push(`IEA02 ${el(s, 2)} does not match ISA13 ${result.interchange.controlNumber}`);
        break;
      default:
        break;
    }
  }
  const last = segments[segments.length - 1];
  if (last?.id !== 'IEA') problems.push('the interchange does not end with IEA');
  return result;
}
