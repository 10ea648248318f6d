import { describe, expect, it } from 'vitest';
import { enrolledEmployees } from '../../../test/support/enrolled-employees.js';
import { buildRecords, exampleSpec, render } from '../../../test/support/render-records.js';

/** Cuts a latin1 line at the spec's widths (one byte per character in latin1). */
function slice(line: string, widths: number[]): string[] {
  const out: string[] = [];
  let at = 0;
  for (const w of widths) {
    out.push(line.slice(at, at + w));
    at += w;
  }
  return out;
}

describe('fixed-width writer', () => {
  const spec = exampleSpec('bright-dental');
  const employees = enrolledEmployees(48, { tricky: true });

  it('writes every record at its exact width and reads back to the same values', async () => {
    const records = buildRecords(spec, employees, '021');
    const { bytes, rejected } = await render(spec, records);
    expect(rejected).toEqual([]);
    const lines = bytes.toString('latin1').split('\r\n');
    expect(lines.pop()).toBe('');
    expect(lines.every((l) => l.length === 100)).toBe(true);
    const widths = spec.outbound.columns!.map((c) => c.width!);
    const [header, ...rest] = lines;
    const trailer = rest.pop()!;
    expect(slice(header!, [1, 10, 8, 5, 76])).toEqual(['H', 'ACMECORP  ', '20240315', '00007', ' '.repeat(76)]);

    const detail = rest.map((l) => slice(l, widths));
    const expected = records.flatMap((r) => (r.image.kind === 'lines' ? r.image.lines : []));
    expect(detail.length).toBe(expected.length);
    detail.forEach((cells, i) => {
      const want = expected[i]!;
      expect(cells[0]).toBe('D');
      expect(cells[2]!.trimEnd()).toBe(want.employee_id);
      const last = want.last_name!.replace(/[\x00-\x1f]/g, ' ').replace('🚀', '?');
      expect(cells[4]).toBe(last.slice(0, 20).padEnd(20));
      expect(cells[12]).toBe('A');
      expect(cells[11]).toBe(want.premium!.replace('.', '').padStart(9, '0'));
    });
    // Accents survive in latin1; leading zeros and formula characters are plain text here.
    expect(detail.map((c) => c[4]!.trimEnd())).toEqual(expect.arrayContaining(['Zoë Ñúñez', '007', '=SUM(A1:A9)', 'Rocket ?', 'Line Break']));

    const total = expected.reduce((s, l) => s + Math.round(Number(l.premium) * 100), 0);
    expect(slice(trailer, [1, 9, 13, 77])).toEqual(['T', String(detail.length).padStart(9, '0'), String(total).padStart(13, '0'), ' '.repeat(77)]);
  });

  it('refuses a value longer than its field when the column says error, and cuts it when truncate', async () => {
    const strict = structuredClone(spec);
    strict.outbound.columns![2]!.width = 4; // employee_id, overflow: error
    strict.outbound.columns!.at(-1)!.width! += 6;
    const r = await render(strict, buildRecords(strict, employees.slice(0, 3)));
    expect(r.rejected.map((x) => x.message)).toEqual(Array(3).fill('employee_id: value is longer than 4 bytes'));
    expect(r.writer.stats.records).toBe(0);
  });

  it('honours the unmappable-character policy', async () => {
    const ascii = structuredClone(spec);
    ascii.outbound.encoding = 'ascii';
    const text = (await render(ascii, buildRecords(ascii, employees.slice(0, 8)))).bytes.toString('ascii');
    expect(text).toContain('Zoe Nunez');

    const refuse = structuredClone(ascii);
    refuse.outbound.fixedWidth = { unmappable: 'error', replacement: '?' };
    const r = await render(refuse, buildRecords(refuse, employees.slice(0, 8)));
    expect(r.rejected.some((x) => x.message === 'last_name: a character cannot be written in ascii')).toBe(true);
  });

  it('pads negative implied-decimal amounts after the sign', async () => {
    const one = enrolledEmployees(1);
    one[0]!.elections[1]!.employeeCostPerPeriod = '-12.5';
    const text = (await render(spec, buildRecords(spec, one))).bytes.toString('latin1');
    expect(text.split('\r\n')[1]!.slice(84, 93)).toBe('-00001250');
  });

  it('writes the same bytes for lines whose keys come back in another order or with a column missing', async () => {
    const records = buildRecords(spec, employees, '001');
    const reordered = records.map((r) => {
      if (r.image.kind !== 'lines') throw new Error('lines expected');
      const lines = r.image.lines.map((l) => Object.fromEntries(Object.entries(l).reverse()));
      return { ...r, image: { kind: 'lines' as const, lines } };
    });
    expect((await render(spec, reordered)).bytes.equals((await render(spec, records)).bytes)).toBe(true);
    // An image stored before a column existed: the column is blank, as a null value is.
    const older = records.map((r) => {
      if (r.image.kind !== 'lines') throw new Error('lines expected');
      return { ...r, image: { kind: 'lines' as const, lines: r.image.lines.map(({ gender: _g, ...rest }) => rest) } };
    });
    const blanked = records.map((r) => {
      if (r.image.kind !== 'lines') throw new Error('lines expected');
      return { ...r, image: { kind: 'lines' as const, lines: r.image.lines.map((l) => ({ ...l, gender: null })) } };
    });
    expect((await render(spec, older)).bytes.equals((await render(spec, blanked)).bytes)).toBe(true);
  });
});
