import { describe, expect, it } from 'vitest';
import { enrolledEmployees } from '../../../test/support/enrolled-employees.js';
import { buildRecords, exampleSpec, FACTS, render, SETTINGS } from '../../../test/support/render-records.js';
import type { VendorSpec } from '../../vendors/spec-schema.js';
import { X12834Writer } from './x12-834-writer.js';
import { read834 } from './x12-834-reader.js';
import { SEGMENT_RULES } from './x12-834-rules.js';
import type { OutboundRecord, X12Image } from './outbound-record.js';

/** Life, medical and dental through one 834, so members carry dependants. */
function healthSpec(): VendorSpec {
  const spec = exampleSpec('summit-life');
  spec.outbound.planTypes = ['medical', 'dental', 'life'];
  spec.outbound.x12!.insuranceLines = { medical: 'HLT', dental: 'DEN', life: 'LIF' };
  return spec;
}

async function write834(spec: VendorSpec, records: OutboundRecord[]) {
  const images = records.map((r) => r.image as X12Image);
  const counts = { subscribers: images.length, dependents: images.reduce((n, i) => n + i.dependents.length, 0) };
  return render(spec, records, { make: (onReject) => new X12834Writer(spec, { ...FACTS, vendor: spec.id }, SETTINGS, { onReject, counts }) });
}

describe('X12 834 writer and reader', () => {
  it('writes a well-formed 834 for 1,000 members with dependants', async () => {
    const spec = healthSpec();
    const employees = enrolledEmployees(1000, { tricky: true });
    const records = buildRecords(spec, employees, '021').filter((r) => r.planType === 'medical');
    expect(records.length).toBe(1000);
    const { bytes, rejected } = await write834(spec, records);
    expect(rejected).toEqual([]);
    const text = bytes.toString('ascii');
    const file = read834(text);
    expect(file.problems).toEqual([]);

    // Segment order and loop structure: header, 1000A, 1000B, then per member 2000 / 2100A / 2300.
    const ids = file.segments.map((s) => s.id).join(' ');
    const member = 'INS REF( REF)?( DTP)? NM1( PER)?( N3 N4)?( DMG)? HD DTP( DTP)?';
    expect(ids).toMatch(new RegExp(`^ISA GS ST BGN REF DTP QTY QTY QTY N1 N1( ${member})+ SE GE IEA$`));

    // Every element within its size, and no delimiter inside data.
    const violations: string[] = [];
    for (const s of file.segments) {
      const rule = SEGMENT_RULES[s.id]!;
      if (s.elements.length > rule.elements.length) violations.push(`${s.id}: ${s.elements.length} elements`);
      s.elements.forEach((v, i) => {
        const size = rule.elements[i];
        if (v === '' && s.id !== 'ISA') return;
        if (!size) violations.push(`${s.id}${i + 1} is not used`);
        else if (v.length < size[0] || v.length > size[1]) violations.push(`${s.id}${i + 1} "${v}" not ${size[0]}-${size[1]}`);
      });
    }
    expect(violations).toEqual([]);

    // Counts and control numbers.
    const se = file.segments.find((s) => s.id === 'SE')!;
    const st = file.segments.find((s) => s.id === 'ST')!;
    expect(Number(se.elements[0])).toBe(se.position - st.position + 1);
    expect(file.interchange.controlNumber).toBe('000000042');
    expect(file.group.controlNumber).toBe('42');
    expect(file.segments.find((s) => s.id === 'GE')!.elements).toEqual(['1', '42']);
    expect(file.segments.find((s) => s.id === 'IEA')!.elements).toEqual(['1', '000000042']);
    expect(file.interchange.usage).toBe('T');
    const dependents = file.members.filter((m) => !m.subscriber).length;
    expect(dependents).toBeGreaterThan(1000);
    expect(file.transaction.quantities).toEqual({ ET: 1000, DT: dependents, TO: 1000 + dependents });

    // Subscriber first, then that subscriber's dependants; and the values read back.
    let i = 0;
    for (const r of records) {
      const img = r.image as X12Image;
      const sub = file.members[i++]!;
      expect(sub).toMatchObject({ subscriber: true, relationship: '18', maintenanceCode: '021', subscriberId: img.subscriberId, id: img.subscriber.ssn,
        dateOfBirth: img.subscriber.dateOfBirth, gender: img.subscriber.gender, groupNumber: 'G-1001' });
      expect(sub.coverages).toEqual([{ maintenanceCode: '021', insuranceLine: 'HLT', planCode: img.coverage.planCode, tier: img.coverage.tier, dates: { 348: '2024-01-01' } }]);
      expect(sub.address).toMatchObject({ city: img.subscriber.address!.city, state: img.subscriber.address!.state, postalCode: img.subscriber.address!.postalCode });
      for (const d of img.dependents) {
        const m = file.members[i++]!;
        expect(m).toMatchObject({ subscriber: false, relationship: d.relationship, subscriberId: img.subscriberId, firstName: d.firstName, id: d.ssn, dateOfBirth: d.dateOfBirth });
      }
    }
    expect(i).toBe(file.members.length);
  });

  it('replaces delimiters and characters outside the X12 set in data, or refuses the record', async () => {
    const spec = healthSpec();
    const employees = enrolledEmployees(16, { tricky: true }).slice(0, 16);
    employees[0]!.person.lastName = 'Star*Name~Tilde:Colon^Hat';
    const records = buildRecords(spec, employees, '001').filter((r) => r.planType === 'life');
    const ok = await write834(spec, records);
    const file = read834(ok.bytes.toString('ascii'));
    expect(file.problems).toEqual([]);
    const names = file.members.map((m) => m.lastName);
    expect(names).toContain('Star Name Tilde Colon Hat');
    expect(names).toContain('Zoe Nunez');
    expect(names).toContain('Line Break');

    const strict = healthSpec();
    strict.outbound.x12!.invalidCharacters = 'error';
    const refused = await write834(strict, records);
    expect(refused.rejected.map((r) => r.column)).toContain('NM103');
    expect(read834(refused.bytes.toString('ascii')).problems).toEqual([]);
  });

  it('marks production files P in ISA15 and full files as replacements in BGN08', async () => {
    const spec = healthSpec();
    const recs = buildRecords(spec, enrolledEmployees(3), '030');
    const { bytes } = await render(spec, recs, { facts: { environment: 'production', kind: 'full' } });
    const file = read834(bytes.toString('ascii'));
    expect(file.interchange.usage).toBe('P');
    expect(file.transaction.action).toBe('RX');
    expect(file.problems).toEqual([]);
  });
});
