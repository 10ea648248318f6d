import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { parse as csvParse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { CsvStructureError, CsvTokenizer, type CsvRecord } from './csv-reader.js';

const spectrumDir = dirname(createRequire(import.meta.url).resolve('csv-spectrum/package.json'));
// csv-spectrum's own expectation for location_coordinates is wrong: its JSON has a different phone
// number than its CSV ("1234567890" vs "2095257564") and the CSV is not valid UTF-8, so no correct
// parser can match it. Every other case is checked.
const cases = readdirSync(join(spectrumDir, 'csvs')).map((f) => f.replace(/\.csv$/, ''))
  .filter((name) => name !== 'location_coordinates');

function tokenise(text: string, chunkSize: number, opts = {}): CsvRecord[] {
  const t = new CsvTokenizer(opts);
  const out: CsvRecord[] = [];
  for (let i = 0; i < text.length; i += chunkSize) out.push(...t.push(text.slice(i, i + chunkSize)));
  out.push(...t.end());
  return out;
}

function asObjects(records: CsvRecord[]): Array<Record<string, string>> {
  const [header, ...rows] = records.map((r) => r.fields);
  return rows.map((row) => Object.fromEntries(header!.map((h, i) => [h, row[i]!])));
}

describe('CsvTokenizer on csv-spectrum', () => {
  it('has the cases it should', () => expect(cases.length).toBeGreaterThanOrEqual(11));
  for (const name of cases) {
    const csv = readFileSync(join(spectrumDir, 'csvs', `${name}.csv`), 'utf8');
    const expected = JSON.parse(readFileSync(join(spectrumDir, 'json', `${name}.json`), 'utf8'));
    it(`${name}: whole`, () => expect(asObjects(tokenise(csv, csv.length + 1))).toEqual(expected));
    it(`${name}: one character at a time`, () => expect(asObjects(tokenise(csv, 1))).toEqual(expected));
  }
  it('gives the same result fed one byte at a time through a streaming UTF-8 decoder', () => {
    for (const name of cases) {
      const bytes = readFileSync(join(spectrumDir, 'csvs', `${name}.csv`));
      const decoder = new TextDecoder('utf-8');
      const t = new CsvTokenizer();
      const out: CsvRecord[] = [];
      for (const b of bytes) out.push(...t.push(decoder.decode(Uint8Array.of(b), { stream: true })));
      out.push(...t.push(decoder.decode()), ...t.end());
      const expected = JSON.parse(readFileSync(join(spectrumDir, 'json', `${name}.json`), 'utf8'));
      expect(asObjects(out), name).toEqual(expected);
    }
  });
});

describe('CsvTokenizer on every chunking', () => {
  const text = 'id,name,note\r\n1,"Smith, Ann","said ""hi""\r\nthen left"\r\n2,Zoë 🎉,\r\n\r\n3,"",x\r\n4,plain,"a,b"';
  const whole = tokenise(text, text.length);
  it('parses quoted commas, quotes, newlines, CRLF, emoji and blank lines', () => {
    expect(whole.map((r) => r.fields)).toEqual([
      ['id', 'name', 'note'], ['1', 'Smith, Ann', 'said "hi"\r\nthen left'], ['2', 'Zoë 🎉', ''], ['3', '', 'x'], ['4', 'plain', 'a,b'],
    ]);
    expect(whole.map((r) => r.line)).toEqual([1, 2, 4, 6, 7]);
    expect(whole[1]!.raw).toBe('1,"Smith, Ann","said ""hi""\r\nthen left"');
  });
  it('is identical for every chunk size and every split position', () => {
    for (let size = 1; size <= text.length; size++) expect(tokenise(text, size)).toEqual(whole);
    for (let cut = 0; cut <= text.length; cut++) {
      const t = new CsvTokenizer();
      const out = [...t.push(text.slice(0, cut)), ...t.push(text.slice(cut)), ...t.end()];
      expect(out, `cut at ${cut}`).toEqual(whole);
    }
  });
  it('agrees with csv-parse on a generated file of awkward values, chunked at random', () => {
    let seed = 7;
    const rand = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    const alphabet = ['a', 'b', ',', '"', '\n', '\r\n', ' ', 'é', '😀', '0'];
    const rows: string[][] = [];
    for (let r = 0; r < 300; r++) {
      rows.push(Array.from({ length: 5 }, () => Array.from({ length: Math.floor(rand() * 8) }, () => alphabet[Math.floor(rand() * alphabet.length)]).join('') || 'x'));
    }
    const csv = rows.map((row) => row.map((v) => (/[",\r\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v)).join(',')).join('\r\n');
    const reference = csvParse(csv, { relax_column_count: true }) as string[][];
    const t = new CsvTokenizer();
    const out: CsvRecord[] = [];
    for (let i = 0; i < csv.length;) {
      const size = 1 + Math.floor(rand() * 40);
      out.push(...t.push(csv.slice(i, i + size)));
      i += size;
    }
    out.push(...t.end());
    expect(out.map((r) => r.fields)).toEqual(reference);
    expect(out.map((r) => r.fields)).toEqual(rows);
  });
  it('keeps a stray quote inside an unquoted field as data and flags text after a closing quote', () => {
    const out = tokenise('a,b"c,"d"e\n', 2);
    expect(out[0]!.fields).toEqual(['a', 'b"c', 'de']);
    expect(out[0]!.malformed).toMatch(/after a closing quote in field 3/);
  });
  it('uses another delimiter', () => {
    expect(tokenise('a|"b|c"|d\n', 3, { delimiter: '|' })[0]!.fields).toEqual(['a', 'b|c', 'd']);
  });
});

describe('CsvTokenizer limits and structural errors', () => {
  const reason = (fn: () => unknown) => {
    try { fn(); } catch (e) { if (e instanceof CsvStructureError) return `${e.reason}@${e.line}`; throw e; }
    return 'no error';
  };
  it('rejects an unclosed quote at the end of input', () => {
    expect(reason(() => tokenise('a,b\n1,"open\n2,3\n', 4))).toBe('UNCLOSED_QUOTE@2');
  });
  it('rejects a 10 MB field without holding it', () => {
    const t = new CsvTokenizer({ maxFieldChars: 1024 });
    const chunk = 'x'.repeat(64 * 1024);
    expect(reason(() => { t.push('a,"'); for (let i = 0; i < 160; i++) t.push(chunk); })).toMatch(/^FIELD_TOO_LARGE|^RECORD_TOO_LARGE/);
    expect(reason(() => tokenise(`a,${'y'.repeat(5000)}\n`, 100000, { maxFieldChars: 1024 }))).toBe('FIELD_TOO_LARGE@1');
  });
  it('rejects a million columns', () => {
    expect(reason(() => tokenise(`${','.repeat(1_000_000)}\n`, 65536, { maxColumns: 500, maxRecordChars: 4_000_000 }))).toBe('TOO_MANY_COLUMNS@1');
  });
});
