import { describe, expect, it } from 'vitest';
import { FixedWidthReader } from '../format/fixed-width-reader.js';
import { decodeText } from './decode-text.js';
import { cleanText, compileDateFormat, hasReplacementChar, parseDate, parseMoney, parseSsn } from './normalise.js';

const formats = ['yyyy-MM-dd', 'MM/dd/yyyy', 'dd/MM/yyyy', 'dd-MMM-yyyy', 'yyyyMMdd'].map(compileDateFormat);

describe('dates', () => {
  it.each([
    ['2024-01-31', '2024-01-31'], ['01/31/2024', '2024-01-31'], ['31-Jan-2024', '2024-01-31'], ['20240131', '2024-01-31'],
    ['2024-02-29', '2024-02-29'], ['29-feb-2024', '2024-02-29'],
  ])('reads %s', (text, iso) => expect(parseDate(text, formats)).toEqual({ ok: true, value: iso }));
  it.each(['2024-02-30', '2023-02-29', '13/13/2024', '2024-1-31', '31-Foo-2024', '20241301', '', 'yesterday', '2024-01-31T00:00'])('refuses %s', (text) => {
    expect(parseDate(text, formats).ok).toBe(false);
  });
  it('resolves an ambiguous date by the preference and flags it', () => {
    const m = parseDate('02/03/2024', formats, 'month-first');
    expect(m).toMatchObject({ ok: true, value: '2024-02-03' });
    expect(m.ok && m.ambiguous).toMatch(/could also be 2024-03-02/);
    expect(parseDate('02/03/2024', formats, 'day-first')).toMatchObject({ ok: true, value: '2024-03-02' });
    expect(parseDate('05/05/2024', formats)).toEqual({ ok: true, value: '2024-05-05' }); // same either way
    expect(parseDate('13/03/2024', formats)).toEqual({ ok: true, value: '2024-03-13' }); // only day-first fits
  });
  it('refuses an unknown pattern letter', () => expect(() => compileDateFormat('YYYY-MM-DDD')).toThrow(/repeats a field/));
  it('reads by character scan exactly what the pattern\'s regular expression and the calendar allow', () => {
    // Reference: the compiled regex, then a real-calendar check through Date.UTC.
    const reference = (f: ReturnType<typeof compileDateFormat>, v: string): string | null => {
      const m = f.re.exec(v);
      if (!m) return null;
      const got = { y: 0, m: 0, d: 0 };
      f.parts.forEach((p, k) => {
        const g = m[k + 1]!;
        if (p === 'mon') got.m = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'].indexOf(g.toLowerCase()) + 1;
        else got[p] = Number(g);
      });
      const t = new Date(Date.UTC(got.y, got.m - 1, got.d));
      if (got.y < 1800 || got.y > 2200 || t.getUTCMonth() !== got.m - 1 || t.getUTCDate() !== got.d) return null;
      return t.toISOString().slice(0, 10);
    };
    const patterns = ['yyyy-MM-dd', 'MM/dd/yyyy', 'dd-MMM-yyyy', 'yyyyMMdd', 'M/d/yyyy', 'd.M.yyyy', 'MMMd yyyy'].map(compileDateFormat);
    let seed = 11;
    const pick = <T,>(xs: readonly T[]): T => xs[(seed = (seed * 1103515245 + 12345) & 0x7fffffff) % xs.length]!;
    const ys = ['2024', '2023', '1799', '2201', '0999', '24'];
    const ms = ['1', '01', '2', '02', '12', '13', '0', '00', 'Feb', 'fEB', 'Foo', 'F3b'];
    const ds = ['1', '01', '28', '29', '30', '31', '0', '32', '9', '123'];
    const seps = ['-', '/', '.', ' ', '', '--'];
    const mismatches: string[] = [];
    let readable = 0;
    for (let n = 0; n < 6000; n++) {
      const [y, m, d, s1] = [pick(ys), pick(ms), pick(ds), pick(seps)];
      const s2 = pick([s1, s1, s1, pick(seps)]);
      const v = pick([`${y}${s1}${m}${s2}${d}`, `${m}${s1}${d}${s2}${y}`, `${d}${s1}${m}${s2}${y}`, `${m}${d}${s1}${y}`, ` ${y}${m}${d}`]);
      for (const f of patterns) {
        const expected = reference(f, v);
        if (expected) readable++;
        if (f.read(v) !== expected) mismatches.push(`${f.pattern} on ${JSON.stringify(v)}: ${f.read(v)} vs ${expected}`);
      }
    }
    expect(mismatches).toEqual([]);
    expect(readable).toBeGreaterThan(100); // enough real dates among the near misses
  });
});

describe('money', () => {
  it.each([
    ['1234.5', '1234.50'], ['$1,234.50', '1234.50'], ['(12.50)', '-12.50'], ['-$3', '-3.00'], ['$(3.10)', '-3.10'], ['USD 1,000,000', '1000000.00'],
    ['€0.1234', '0.1234'], ['007.10', '7.10'], ['-0.00', '0.00'], [' 400.00 ', '400.00'],
  ])('reads %s exactly', (text, value) => expect(parseMoney(text)).toEqual({ ok: true, value }));
  it.each(['12,34', '1,2345.00', '1.2.3', '--5', '-(5)', '5.12345', 'abc', '$', '1e5', '(5'])('refuses %s', (text) => expect(parseMoney(text).ok).toBe(false));
});

describe('text and identifiers', () => {
  it('strips zero-width characters, makes NBSP a space and trims', () => {
    expect(cleanText('\u200B\u00A0Ann\u00A0Lee\u2060\uFEFF ')).toBe('Ann Lee');
  });
  it('reads SSNs with or without dashes, never echoing them', () => {
    expect(parseSsn('123-45-6789')).toEqual({ ok: true, value: '123456789' });
    expect(parseSsn('123456789')).toEqual({ ok: true, value: '123456789' });
    const bad = parseSsn('123-456-789');
    expect(bad.ok).toBe(false);
    expect(JSON.stringify(bad)).not.toContain('456');
  });
});

async function decodeAll(bytes: Uint8Array, encoding: 'utf-8' | 'utf-16' | 'windows-1252', chunk = 1): Promise<string> {
  const parts: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += chunk) parts.push(bytes.subarray(i, i + chunk));
  let out = '';
  for await (const s of decodeText(parts, encoding)) out += s;
  return out;
}

describe('decoding in the spec\'s encoding, whatever the chunking', () => {
  it('drops a UTF-8 BOM and keeps multi-byte characters split across chunks', async () => {
    expect(await decodeAll(Buffer.from('\uFEFFZoë,😀\r\n'), 'utf-8')).toBe('Zoë,😀\r\n');
  });
  it('turns an invalid UTF-8 sequence into a marker the row check rejects (never stored)', async () => {
    const text = await decodeAll(Buffer.from([0x61, 0xc3, 0x28, 0x62]), 'utf-8');
    expect(hasReplacementChar(text)).toBe(true);
  });
  it('reads UTF-16 in either byte order from its BOM, and refuses UTF-16 without one', async () => {
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('a,é\n', 'utf16le')]);
    const be = Buffer.from(Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from('a,é\n', 'utf16le').swap16()]));
    expect(await decodeAll(le, 'utf-16')).toBe('a,é\n');
    expect(await decodeAll(be, 'utf-16', 3)).toBe('a,é\n');
    await expect(decodeAll(Buffer.from('a,b\n', 'utf16le'), 'utf-16')).rejects.toThrow(/byte-order mark/);
  });
  it('reads Windows-1252 (€ is 0x80, é is 0xE9)', async () => {
    expect(await decodeAll(Buffer.from([0x80, 0x2c, 0xe9]), 'windows-1252')).toBe('€,é');
  });
});

describe('FixedWidthReader', () => {
  it('cuts at byte widths, on any chunking, CRLF or LF, and flags short lines', () => {
    const text = 'E001MEDé  12\r\nE002DEN    34\nE003VIS 5\n';
    const whole = (size: number) => {
      const r = new FixedWidthReader({ widths: [4, 3, 4, 2], encoding: 'utf-8' });
      const out = [];
      for (let i = 0; i < text.length; i += size) out.push(...r.push(text.slice(i, i + size)));
      return [...out, ...r.end()];
    };
    const expected = whole(text.length);
    expect(expected.map((r) => r.fields)).toEqual([['E001', 'MED', 'é  ', '12'], ['E002', 'DEN', '    ', '34'], ['E003', 'VIS', ' 5', '']]);
    expect(expected[0]!.malformed).toBeUndefined();
    expect(expected[2]!.malformed).toMatch(/9 bytes, the layout is 13/);
    for (let size = 1; size < text.length; size++) expect(whole(size)).toEqual(expected);
  });
});
