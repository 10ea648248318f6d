import type { VendorSpec } from '../../vendors/spec-schema.js';
import type { OutboundRecord, Person834, X12Image } from './outbound-record.js';
import { RecordWriter, type FileFacts, type Rendered, type WriterOptions } from './record-writer.js';
import { cleanElement, cleanElementTest, SEGMENT_RULES } from './x12-834-rules.js';

/**
 * ASC X12 834 benefit enrollment (005010X220A1), one interchange / one group / one transaction set:
 * ISA GS ST BGN REF DTP QTY, 1000A sponsor (N1*P5), 1000B payer (N1*IN), then per member loop 2000
 * (INS REF DTP) / 2100A (NM1 PER N3 N4 DMG) / 2300 (HD DTP), subscriber before dependants, then SE GE
 * IEA with counts and the file's control number. QTY needs the member counts before the first member:
 * a header-last writer counts them as it renders; otherwise the caller passes them, or QTY is left out.
 */
export interface X12Counts { subscribers: number; dependents: number }

const REASON: Record<string, string> = { '021': '28', '001': 'AI', '030': 'XN' };

export class X12834Writer extends RecordWriter {
  private segments = 0; // ST..SE, for SE01
  private readonly counts: X12Counts | undefined;
  private readonly d: { element: string; component: string; repetition: string; segment: string };
  private readonly terminator: string;
  private readonly delimiterChars: string;
  /** True for a value made only of X12 characters and none of this file's delimiters. */
  private readonly clean: RegExp;

  constructor(
    private readonly spec: VendorSpec,
    private readonly facts: FileFacts,
    private readonly settings: Record<string, unknown>,
    options: WriterOptions & { counts?: X12Counts } = {},
  ) {
    super(spec.outbound.encoding, options);
    this.counts = options.counts;
    const x = spec.outbound.x12!;
    this.d = x.delimiters;
    this.terminator = x.segmentNewline ? `${this.d.segment}\n` : this.d.segment;
    this.delimiterChars = Object.values(this.d).join('');
    this.clean = cleanElementTest(this.delimiterChars);
  }
  protected renderHeader(): string {
    const x = this.spec.outbound.x12!;
    const f = this.facts;
    const ctl = String(f.controlNumber).padStart(9, '0');
    const date8 = f.date.replaceAll('-', '');
    const s = this.settings as Record<string, string | undefined>;
    // ISA is fixed-width and carries the delimiters themselves: built by hand, not through seg().
    const isa = ['ISA', '00', ' '.repeat(10), '00', ' '.repeat(10), x.senderQualifier, x.senderId.padEnd(15), x.receiverQualifier,
      x.receiverId.padEnd(15), date8.slice(2), f.time, this.d.repetition, '00501', ctl, '0', f.environment === 'production' ? 'P' : 'T',
      this.d.component].join(this.d.element) + this.terminator;
    let text = isa;
    text += this.seg(false, 'GS', 'BE', x.senderId, x.receiverId, date8, f.time, String(f.controlNumber), 'X', '005010X220A1');
    const counts = this.headerLast ? { subscribers: this.stats.records, dependents: this.stats.dependents } : this.counts;
    text += this.seg(true, 'ST', '834', '0001', '005010X220A1');
    text += this.seg(true, 'BGN', '00', f.id.slice(0, 50), date8, f.time, '', '', '', f.kind === 'full' ? 'RX' : '2');
    const policy = s.policyNumber ?? s.groupNumber;
    if (policy) text += this.seg(true, 'REF', '38', policy);
    text += this.seg(true, 'DTP', '007', 'D8', date8);
    if (counts) {
      text += this.seg(true, 'QTY', 'ET', String(counts.subscribers));
      text += this.seg(true, 'QTY', 'DT', String(counts.dependents));
      text += this.seg(true, 'QTY', 'TO', String(counts.subscribers + counts.dependents));
    }
    text += this.seg(true, 'N1', 'P5', s.sponsorName ?? f.tenant, 'FI', s.sponsorId ?? f.tenant);
    text += this.seg(true, 'N1', 'IN', this.spec.name, 'FI', s.payerId ?? x.receiverId);
    return text;
  }

  protected renderTrailer(): string {
    const ctl = String(this.facts.controlNumber);
    let text = this.seg(true, 'SE', String(this.segments + 1), '0001');
    text += this.seg(false, 'GE', '1', ctl);
    text += this.seg(false, 'IEA', '1', ctl.padStart(9, '0'));
    return text;
  }

  render(record: OutboundRecord): Rendered {
    if (record.image.kind !== 'x12') throw new Error('an 834 writer needs an x12 image');
    const img = record.image;
    const before = this.segments;
    try {
      let text = this.member(img, img.subscriber, record.code, true);
      for (const dep of img.dependents) text += this.member(img, dep, record.code, false);
      return { ok: true, text, lines: 1 + img.dependents.length, dependents: img.dependents.length };
    } catch (e) {
      this.segments = before;
      if (e instanceof ElementError) return { ok: false, column: e.element, message: e.message };
      throw e;
    }
  }

  private member(img: X12Image, p: Person834, code: string, subscriber: boolean): string {
    const reason = code === '024' ? (img.employmentStatus === 'TE' ? '08' : '07') : REASON[code]!;
    let t = this.seg(true, 'INS', subscriber ? 'Y' : 'N', p.relationship, code, reason, 'A', '', '', subscriber ? img.employmentStatus : '');
    t += this.seg(true, 'REF', '0F', img.subscriberId);
    const group = (this.settings as Record<string, string | undefined>).groupNumber;
    if (group && subscriber) t += this.seg(true, 'REF', '1L', group);
    if (subscriber) t += this.seg(true, 'DTP', '336', 'D8', img.hireDate.replaceAll('-', ''));
    t += this.seg(true, 'NM1', 'IL', '1', p.lastName, p.firstName, p.middleName ?? '', '', '', p.ssn ? '34' : '', p.ssn ?? '');
    if (p.phone || p.email) {
      t += this.seg(true, 'PER', 'IP', '', ...(p.phone ? ['TE', p.phone.replace(/\D/g, '')] : []), ...(p.email ? ['EM', p.email] : []));
    }
    if (p.address) {
      t += this.seg(true, 'N3', p.address.line1, p.address.line2 ?? '');
      t += this.seg(true, 'N4', p.address.city, p.address.state, p.address.postalCode);
    }
    if (p.dateOfBirth) t += this.seg(true, 'DMG', 'D8', p.dateOfBirth.replaceAll('-', ''), p.gender);
    const c = img.coverage;
    t += this.seg(true, 'HD', code, '', c.insuranceLine, c.planCode, c.tier);
    t += this.seg(true, 'DTP', '348', 'D8', c.start.replaceAll('-', ''));
    if (c.end) t += this.seg(true, 'DTP', '349', 'D8', c.end.replaceAll('-', ''));
    return t;
  }

  /** One segment: elements cleaned and checked against their sizes, trailing empty elements dropped. */
  private seg(counted: boolean, id: string, ...elements: string[]): string {
    const rule = SEGMENT_RULES[id]!;
    const x = this.spec.outbound.x12!;
    const sep = this.d.element;
    let text = id;
    let gap = ''; // separators owed to empty elements, written only if a later element has a value
    for (let i = 0; i < elements.length; i++) {
      const raw = elements[i]!;
      if (raw === '') {
        gap += sep;
        continue;
      }
      // Most values are already clean: one test instead of a look at every character.
      let v: string | null = this.clean.test(raw) ? raw : cleanElement(raw, this.delimiterChars, x.invalidCharacters, x.replacement);
      if (v === null) throw new ElementError(id, i, 'a character outside the X12 character set or a delimiter');
      v = v.trim(); // padding is not data in X12 (only the ISA is fixed-width)
      const size = rule.elements[i];
      if (!size) throw new ElementError(id, i, 'element is not used');
      if (v.length > size[1]) {
        if (!rule.cut?.includes(i + 1)) throw new ElementError(id, i, `longer than ${size[1]} characters`);
        v = v.slice(0, size[1]).trimEnd();
      }
      if (v.length < size[0]) throw new ElementError(id, i, `shorter than ${size[0]} characters`);
      if (v === '') gap += sep;
      else {
        text += gap + sep + v;
        gap = '';
      }
    }
    if (counted) this.segments++;
    return text + this.terminator;
  }
}

class ElementError extends Error {
  readonly element: string;
  constructor(segment: string, index: number, problem: string) {
    const element = `${segment}${String(index + 1).padStart(2, '0')}`;
    super(`${element}: ${problem}`);
    this.element = element;
  }
}
