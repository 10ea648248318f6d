import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { enrolledEmployees, TRICKY_NAMES } from '../../../test/support/enrolled-employees.js';
import { buildRecords, exampleSpec, render } from '../../../test/support/render-records.js';
import { compileColumns, formatCell } from './columns.js';

const DANGEROUS = /^[=+\-@\t\r]/;

describe('CSV writer', () => {
  const spec = exampleSpec('acme-medical');
  const employees = enrolledEmployees(64, { tricky: true });
  employees[3]!.elections[0]!.employeeCostPerPeriod = '-12.50';

  it('round-trips every value through an independent parser, neutralising formula cells exactly', async () => {
    const records = buildRecords(spec, employees, '021');
    const { bytes, writer, rejected } = await render(spec, records);
    expect(rejected).toEqual([]);
    const rows = parse(bytes, { relax_column_count: true }) as string[][];
    const columns = compileColumns(spec.outbound.columns!);
    expect(rows[0]).toEqual(columns.map((c) => c.name));
    const expected: string[][] = [];
    for (const r of records) {
      if (r.image.kind !== 'lines') throw new Error('lines expected');
      for (const line of r.image.lines) {
        expected.push(columns.map((c) => {
          const text = c.name === 'action' ? 'ADD' : formatCell(c, line[c.name] ?? null);
          return !c.numeric && DANGEROUS.test(text) ? `'${text}` : text;
        }));
      }
    }
    expect(rows.slice(1, -1)).toEqual(expected);
    expect(writer.stats.lines).toBe(expected.length);

    // Exact neutralisation of each dangerous prefix, and values that must come back untouched.
    const lastNames = new Set(rows.slice(1, -1).map((r) => r[5]));
    for (const name of ['=SUM(A1:A9)', '+1 555', '-minus', '@handle', '\tlead tab', '\rlead cr']) expect(lastNames).toContain(`'${name}`);
    for (const name of ['Smith, Jr.', 'O"Brien', 'Line\nBreak', 'Tab\there', 'Zoë Ñúñez', 'Rocket 🚀', '007', 'Crlf\r\nName', '  spaced  ']) {
      expect(lastNames).toContain(name);
    }
    expect(TRICKY_NAMES.every((n) => lastNames.has(n) || lastNames.has(`'${n}`))).toBe(true);
    const costs = rows.slice(1, -1).map((r) => r[21]);
    expect(costs).toContain('-12.50');
  });

  it('writes a trailer with the record count, line count and exact premium total', async () => {
    const records = buildRecords(spec, employees, '030');
    const { bytes } = await render(spec, records);
    const rows = parse(bytes, { relax_column_count: true }) as string[][];
    const trailer = rows[rows.length - 1]!;
    const detail = rows.slice(1, -1);
    const cents = detail.reduce((sum, r) => sum + Math.round(Number(r[21] || '0') * 100), 0);
    expect(trailer).toEqual(['T', String(records.length), String(detail.length), (cents / 100).toFixed(2)]);
  });

  it('quotes every field when the vendor asks, and honours the reject and strip policies', async () => {
    const always = structuredClone(spec);
    always.outbound.csv!.quoting = 'always';
    const text = (await render(always, buildRecords(always, employees.slice(0, 2)))).bytes.toString('utf8');
    expect(text.split('\r\n')[1]).toMatch(/^"D","G-1001","E000001",/);

    const reject = structuredClone(spec);
    reject.outbound.csv!.injection = { policy: 'reject', prefix: "'" };
    const r = await render(reject, buildRecords(reject, employees.slice(0, 16)));
    expect(r.rejected.map((x) => x.column)).toContain('last_name');
    expect(r.bytes.toString('utf8')).not.toMatch(/(^|,)=SUM/m);

    const strip = structuredClone(spec);
    strip.outbound.csv!.injection = { policy: 'strip', prefix: "'" };
    const rows = parse((await render(strip, buildRecords(strip, employees.slice(0, 16)))).bytes, { relax_column_count: true }) as string[][];
    expect(rows.map((x) => x[5])).toContain('SUM(A1:A9)');
  });

  it('writes the same bytes for lines whose keys come back in another order (as jsonb stores them)', async () => {
    const records = buildRecords(spec, employees, '024');
    const reordered = records.map((r) => {
      if (r.image.kind !== 'lines') throw new Error('lines expected');
      const lines = r.image.lines.map((l) => Object.fromEntries(Object.entries(l).sort(([a], [b]) => a.length - b.length || (a < b ? -1 : 1))));
      return { ...r, image: { kind: 'lines' as const, lines } };
    });
    const plain = await render(spec, records);
    const shuffled = await render(spec, reordered);
    expect(shuffled.bytes.equals(plain.bytes)).toBe(true);
    const reject = structuredClone(spec);
    reject.outbound.csv!.injection = { policy: 'reject', prefix: "'" };
    const a = await render(reject, buildRecords(reject, employees, '024'));
    const b = await render(reject, reordered);
    expect(b.rejected.map((x) => x.column)).toEqual(a.rejected.map((x) => x.column));
    expect(b.bytes.equals(a.bytes)).toBe(true);
  });

  it('emits chunks of at least 64 KB, not one per row', async () => {
    const many = enrolledEmployees(1500);
    const { chunkSizes } = await render(spec, buildRecords(spec, many));
    expect(chunkSizes.length).toBeGreaterThan(2);
    expect(chunkSizes.slice(0, -1).every((n) => n >= 64 * 1024)).toBe(true);
  });
});
