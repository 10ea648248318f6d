/**
 * Pure value normalisers for inbound vendor data. Each returns the canonical value or a reason;
 * none throws for bad input (a bad value is a row error, not a failed file), and none puts the
 * offending value of a sensitive field into its reason.
 */
export type Parsed<T> = { ok: true; value: T; ambiguous?: string } | { ok: false; reason: string };

const INVISIBLE = /[\u200B-\u200D\u2060\uFEFF]/g;
const NBSP = /\u00A0/g;
const NEEDS_CLEANING = /[\u00A0\u200B-\u200D\u2060\uFEFF]/;

/** Zero-width characters removed, non-breaking spaces made spaces, then trimmed. */
export function cleanText(value: string): string {
  const v = NEEDS_CLEANING.test(value) ? value.replace(INVISIBLE, '').replace(NBSP, ' ') : value;
  return v.trim();
}

/**
 * Whether any part of `text` needs `cleanText`'s character replacements. Checked once per raw record,
 * so a record without them (nearly all) costs each of its values only a trim.
 */
export function needsCleaning(text: string): boolean {
  return NEEDS_CLEANING.test(text);
}

const CLEANED_OR_INVALID = /[\u00A0\u200B-\u200D\u2060\uFEFF\uFFFD]/;

/** needsCleaning or hasReplacementChar, in one scan: false for nearly every record, which then needs neither. */
export function hasSpecialChars(text: string): boolean {
  return CLEANED_OR_INVALID.test(text);
}

/**
 * `value.trim()`, but a value that starts and ends with a printable ASCII character (nearly every
 * one) is returned as it is, without the call.
 */
export function trimmed(value: string): string {
  const n = value.length;
  if (n === 0) return value;
  const a = value.charCodeAt(0);
  const b = value.charCodeAt(n - 1);
  return a > 32 && a < 127 && b > 32 && b < 127 ? value : value.trim();
}

/** True when decoding met an invalid byte sequence (decoders substitute U+FFFD). */
export function hasReplacementChar(value: string): boolean {
  return value.includes('\uFFFD');
}

// ---- dates -------------------------------------------------------------------------------------

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const TOKENS: Record<string, { re: string; part: 'y' | 'm' | 'd' | 'mon' }> = {
  YYYY: { re: '(\\d{4})', part: 'y' },
  yyyy: { re: '(\\d{4})', part: 'y' },
  DD: { re: '(\\d{2})', part: 'd' },
  D: { re: '(\\d{1,2})', part: 'd' },
  MMM: { re: '([A-Za-z]{3})', part: 'mon' },
  MM: { re: '(\\d{2})', part: 'm' },
  M: { re: '(\\d{1,2})', part: 'm' },
  dd: { re: '(\\d{2})', part: 'd' },
  d: { re: '(\\d{1,2})', part: 'd' },
};

export interface DateFormat {
  pattern: string;
  re: RegExp;
  parts: Array<'y' | 'm' | 'd' | 'mon'>;
  /** The value as YYYY-MM-DD, or null; a character scan where the pattern allows one (no regex, no match array). */
  read(value: string): string | null;
}

/**
 * One step of a compiled date pattern: a literal character, digits (min..max) into y, m or d, or a
 * month abbreviation. One object shape for every kind, so the scan's property reads stay monomorphic.
 */
const LIT = 0;
const NUM = 1;
const MON = 2;
interface Step { kind: typeof LIT | typeof NUM | typeof MON; lit: number; part: 'y' | 'm' | 'd' | 'mon'; min: number; max: number }
const DIGITS: Record<string, [number, number]> = { YYYY: [4, 4], yyyy: [4, 4], DD: [2, 2], dd: [2, 2], MM: [2, 2], D: [1, 2], d: [1, 2], M: [1, 2] };

/**
 * Compiles `yyyy-MM-dd`, `MM/dd/yyyy`, `dd-MMM-yyyy`, `yyyyMMdd`, `M/d/yyyy`... (YYYY/DD upper-case as in
 * vendor specs too; MMM is an English month abbreviation); throws on an unknown letter.
 */
export function compileDateFormat(pattern: string): DateFormat {
  let re = '^';
  const parts: DateFormat['parts'] = [];
  const steps: Step[] = [];
  for (let i = 0; i < pattern.length;) {
    const token = ['YYYY', 'yyyy', 'MMM', 'MM', 'DD', 'dd', 'M', 'D', 'd'].find((t) => pattern.startsWith(t, i));
    if (token) {
      re += TOKENS[token]!.re;
      parts.push(TOKENS[token]!.part);
      const part = TOKENS[token]!.part;
      steps.push(part === 'mon' ? { kind: MON, lit: 0, part, min: 3, max: 3 } : { kind: NUM, lit: 0, part, min: DIGITS[token]![0], max: DIGITS[token]![1] });
      i += token.length;
    } else if (/[A-Za-z]/.test(pattern[i]!)) {
      throw new Error(`unknown date pattern letter "${pattern[i]}" in "${pattern}"`);
    } else {
      re += pattern[i]!.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
      steps.push({ kind: LIT, lit: pattern.charCodeAt(i), part: 'y', min: 1, max: 1 });
      i++;
    }
  }
  if (new Set(parts.map((p) => (p === 'mon' ? 'm' : p))).size !== parts.length) throw new Error(`date pattern "${pattern}" repeats a field`);
  if (!parts.includes('y') || !(parts.includes('m') || parts.includes('mon')) || !parts.includes('d')) {
    throw new Error(`date pattern "${pattern}" needs a year, a month and a day`);
  }
  const format: DateFormat = { pattern, re: new RegExp(`${re}$`), parts, read: (value) => toIso(format, value) };
  // A greedy scan equals the regex unless a variable-width number is directly followed by another
  // field or a digit (`Md`, `d1`): only then does the regex's backtracking matter, and the regex is kept.
  const isDigit = (c: number) => c >= 48 && c <= 57;
  const scannable = steps.every((st, k) => {
    const next = steps[k + 1];
    return st.kind !== NUM || st.min === st.max || !next || (next.kind === LIT && !isDigit(next.lit));
  });
  // A value outside these lengths cannot match: refused before any scan.
  const minLength = steps.reduce((a, st) => a + st.min, 0);
  const maxLength = steps.reduce((a, st) => a + st.max, 0);
  if (scannable) format.read = (value) => (value.length < minLength || value.length > maxLength ? null : scanDate(steps, value));
  return format;
}

/** The compiled pattern applied by hand: same result as the regex + toIso, without either's allocations. */
function scanDate(steps: readonly Step[], value: string): string | null {
  const n = value.length;
  let i = 0;
  let y = 0;
  let mo = 0;
  let d = 0;
  for (let k = 0; k < steps.length; k++) {
    const st = steps[k]!;
    if (st.kind === LIT) {
      if (i >= n || value.charCodeAt(i) !== st.lit) return null;
      i++;
    } else if (st.kind === MON) {
      if (i + 3 > n) return null;
      mo = monthOf(value.charCodeAt(i), value.charCodeAt(i + 1), value.charCodeAt(i + 2));
      if (mo === 0) return null;
      i += 3;
    } else {
      let v = 0;
      let len = 0;
      for (; len < st.max && i < n; len++, i++) {
        const c = value.charCodeAt(i);
        if (c < 48 || c > 57) break;
        v = v * 10 + (c - 48);
      }
      if (len < st.min) return null;
      if (st.part === 'y') y = v; else if (st.part === 'm') mo = v; else d = v;
    }
  }
  if (i !== n) return null;
  return isoDate(y, mo, d);
}

const MONTH_KEYS = MONTHS.map((m) => m.charCodeAt(0) << 16 | m.charCodeAt(1) << 8 | m.charCodeAt(2));

/** 1..12 for an English month abbreviation in any case, else 0. */
function monthOf(a: number, b: number, c: number): number {
  // ASCII letters only, lower-cased by | 32.
  if (!isAsciiLetter(a) || !isAsciiLetter(b) || !isAsciiLetter(c)) return 0;
  return MONTH_KEYS.indexOf((a | 32) << 16 | (b | 32) << 8 | (c | 32)) + 1;
}

function isAsciiLetter(x: number): boolean {
  return (x >= 65 && x <= 90) || (x >= 97 && x <= 122);
}

/** "01".."31": a date's month and day without a number-to-string conversion each. */
const TWO_DIGITS = Array.from({ length: 32 }, (_, k) => String(k).padStart(2, '0'));

function isoDate(y: number, mo: number, d: number): string | null {
  if (y < 1800 || y > 2200 || mo < 1 || mo > 12 || d < 1 || d > daysIn(y, mo)) return null;
  return `${y}-${TWO_DIGITS[mo]}-${TWO_DIGITS[d]}`;
}

function toIso(format: DateFormat, value: string): string | null {
  const m = format.re.exec(value);
  if (!m) return null;
  let y = 0;
  let mo = 0;
  let d = 0;
  for (let k = 0; k < format.parts.length; k++) {
    const part = format.parts[k];
    const g = m[k + 1]!;
    if (part === 'y') y = Number(g);
    else if (part === 'm') mo = Number(g);
    else if (part === 'd') d = Number(g);
    else mo = MONTHS.indexOf(g.toLowerCase()) + 1;
  }
  return isoDate(y, mo, d);
}

function daysIn(y: number, m: number): number {
  if (m === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}

export type DatePreference = 'month-first' | 'day-first';

function monthFirst(f: DateFormat): boolean {
  const m = f.parts.findIndex((p) => p === 'm' || p === 'mon');
  return m < f.parts.indexOf('d');
}

/**
 * Strict: a value must match one accepted format and be a real calendar date (`2024-02-30` is an
 * error, not March 1st). When several formats read it as different dates (`02/03/2024` under both
 * MM/dd and dd/MM), the spec's preference decides and the result carries `ambiguous`, for the row to
 * be flagged.
 */
export function parseDate(value: string, formats: readonly DateFormat[], preference: DatePreference = 'month-first'): Parsed<string> {
  const iso = readDate(value, formats);
  if (iso === AMBIGUOUS) return ambiguousDate(value, formats, preference);
  if (iso === null) return { ok: false, reason: badDate(formats) };
  return { ok: true, value: iso };
}

/** What readDate returns for a value more than one format reads, as different dates. */
export const AMBIGUOUS = Symbol('ambiguous date');

/**
 * parseDate's common case without its result object: the one reading as YYYY-MM-DD, null when none,
 * or AMBIGUOUS (then parseDate says which reading the preference chose).
 */
export function readDate(value: string, formats: readonly DateFormat[]): string | null | typeof AMBIGUOUS {
  let first: string | null = null;
  for (let k = 0; k < formats.length; k++) {
    const iso = formats[k]!.read(value);
    if (iso === null) continue;
    if (first === null) { first = iso; continue; }
    if (iso !== first) return AMBIGUOUS;
  }
  return first;
}

export function badDate(formats: readonly DateFormat[]): string {
  return `not a valid date in an accepted format (${formats.map((f) => f.pattern).join(', ')})`;
}

function ambiguousDate(value: string, formats: readonly DateFormat[], preference: DatePreference): Parsed<string> {
  const readings = new Map<string, DateFormat>();
  for (const f of formats) {
    const iso = f.read(value);
    if (iso && !readings.has(iso)) readings.set(iso, f);
  }
  const all = [...readings];
  const chosen = all.find(([, f]) => monthFirst(f) === (preference === 'month-first')) ?? all[0]!;
  const others = all.filter(([iso]) => iso !== chosen[0]).map(([iso, f]) => `${iso} as ${f.pattern}`).join(', ');
  return { ok: true, value: chosen[0], ambiguous: `ambiguous date read as ${chosen[0]} (${chosen[1].pattern}, ${preference}); could also be ${others}` };
}

// ---- money -------------------------------------------------------------------------------------

const CURRENCY_WORDS = ['USD', 'EUR', 'GBP'];
const CURRENCY_SIGNS = '$€£¥';
const BAD_AMOUNT = 'not an amount (digits, optional currency symbol, thousands separators, parentheses for negatives)';

/**
 * Exact decimal string (never a float): `$1,234.50` → `1234.50`, `(12.5)` → `-12.50`, `-$3` → `-3.00`.
 * Thousands separators must be well placed; at most four decimals.
 */
export function parseMoney(value: string): Parsed<string> {
  const v = readMoney(value);
  if (typeof v === 'string') return { ok: true, value: v };
  return { ok: false, reason: v === MONEY_MINUSES ? 'an amount with more than one minus sign' : BAD_AMOUNT };
}

/** readMoney's refusals: not an amount at all, or one with more than one minus sign. */
export const MONEY_BAD = 0;
export const MONEY_MINUSES = 1;

export function moneyReason(code: typeof MONEY_BAD | typeof MONEY_MINUSES): string {
  return code === MONEY_MINUSES ? 'an amount with more than one minus sign' : BAD_AMOUNT;
}

/**
 * parseMoney without its result object, in one pass over the characters (this runs for every amount
 * of every row): the canonical amount, or why not. Most amounts come back as one slice of the value.
 */
export function readMoney(value: string): string | typeof MONEY_BAD | typeof MONEY_MINUSES {
  const n = value.length;
  let i = 0;
  let minus = 0;
  let paren = false;
  let currency = false;
  // Prefix: spaces, one minus, one currency mark, one opening parenthesis, in any order.
  for (; i < n; i++) {
    const c = value.charCodeAt(i);
    if (c === 32) continue;
    if (c === 45) { minus++; continue; } // '-'
    if (c === 40 && !paren) { paren = true; minus++; continue; } // '('
    if (!currency && (c > 127 ? CURRENCY_SIGNS.includes(value[i]!) : c === 36)) { currency = true; continue; } // '$' and others
    if (!currency && c >= 65 && c <= 90 && CURRENCY_WORDS.includes(value.slice(i, i + 3))) { currency = true; i += 2; continue; }
    break;
  }
  // Whole part: digits with well-placed thousands separators; leading zeros (all but the last) skipped.
  const wholeStart = i;
  let commas = 0;
  let group = -1; // digits since the last thousands separator; -1 before any separator
  let firstGroup = 0;
  let zeros = 0; // leading zeros of the whole part while nothing else has been seen
  for (; i < n; i++) {
    const c = value.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (group >= 0) group++;
      else {
        if (c === 48 && zeros === firstGroup) zeros++;
        firstGroup++;
      }
    } else if (c === 44) { // ','
      if ((group === -1 && (firstGroup < 1 || firstGroup > 3)) || (group >= 0 && group !== 3)) return MONEY_BAD;
      group = 0;
      commas++;
    } else break;
  }
  if (firstGroup === 0 || (group >= 0 && group !== 3)) return MONEY_BAD;
  const wholeEnd = i;
  let fracStart = i;
  let fracEnd = i;
  if (i < n && value.charCodeAt(i) === 46) { // '.'
    fracStart = ++i;
    while (i < n && value.charCodeAt(i) >= 48 && value.charCodeAt(i) <= 57) i++;
    if (i === fracStart || i - fracStart > 4) return MONEY_BAD;
    fracEnd = i;
  }
  for (; i < n; i++) {
    const c = value.charCodeAt(i);
    if (c === 32) continue;
    if (c === 41 && paren) { paren = false; continue; } // ')'
    return MONEY_BAD;
  }
  if (paren) return MONEY_BAD;
  if (minus > 1) return MONEY_MINUSES;
  const fracLength = fracEnd - fracStart;
  const frac = fracLength >= 2 ? '' : fracLength === 0 ? '00' : `${value[fracStart]}0`;
  if (commas === 0) {
    // Leading zeros go, but a whole part of zeros keeps its last one.
    const skip = zeros === firstGroup ? zeros - 1 : zeros;
    const sign = minus && !(zeros === firstGroup && isAllZeros(value, fracStart, fracEnd)) ? '-' : '';
    // The common case: the amount is one piece of the value.
    if (fracLength >= 2) return sign + value.slice(wholeStart + skip, fracEnd);
    return `${sign}${value.slice(wholeStart + skip, wholeEnd)}.${frac}`;
  }
  // The groups between the separators, joined (replaceAll cost three times the rest of the read).
  let whole = '';
  let from = wholeStart;
  for (let k = wholeStart; k < wholeEnd; k++) {
    if (value.charCodeAt(k) === 44) {
      whole += value.slice(from, k);
      from = k + 1;
    }
  }
  whole += value.slice(from, wholeEnd);
  let w = 0;
  while (w < whole.length - 1 && whole.charCodeAt(w) === 48) w++;
  if (w) whole = whole.slice(w);
  const fraction = fracLength >= 2 ? value.slice(fracStart, fracEnd) : frac;
  const sign = minus && !(whole === '0' && isAllZeros(fraction, 0, fraction.length)) ? '-' : '';
  return `${sign}${whole}.${fraction}`;
}

function isAllZeros(text: string, from: number, to: number): boolean {
  for (let k = from; k < to; k++) if (text.charCodeAt(k) !== 48) return false;
  return true;
}

// ---- identifiers ---------------------------------------------------------------------------------

/** Nine digits, with or without the usual dashes; the reason never repeats the value. */
export function parseSsn(value: string): Parsed<string> {
  const m = /^(\d{3})-?(\d{2})-?(\d{4})$/.exec(value);
  if (!m) return { ok: false, reason: 'not a social security number (9 digits, dashes optional)' };
  return { ok: true, value: `${m[1]}${m[2]}${m[3]}` };
}

export function parseInteger(value: string): Parsed<number> {
  if (!/^-?\d{1,15}$/.test(value)) return { ok: false, reason: 'not a whole number' };
  return { ok: true, value: Number(value) };
}

/** Masks anything that looks like an SSN in free text (defence in depth for stored raw rows). */
export function maskSsnLike(text: string): string {
  return text.replace(/\b\d{3}-\d{2}-\d{4}\b|\b\d{9}\b/g, '*********');
}
