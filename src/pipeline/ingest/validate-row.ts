import type { CompiledIngestSpec, IngestColumn } from './ingest-spec.js';
import { AMBIGUOUS, badDate, cleanText, hasReplacementChar, hasSpecialChars, maskSsnLike, moneyReason, parseDate, parseInteger, parseSsn, readDate, readMoney, needsCleaning, trimmed, type Parsed } from './normalise.js';

/**
 * Row error codes stored in row_errors.code. A *warning* keeps the row applied (the value it concerns
 * is flagged or dropped); every other code rejects the row.
 */
export const ROW_ERROR_CODES = {
  COLUMN_COUNT: 'the row has a different number of fields than the header',
  MALFORMED_ROW: 'the row is not well-formed (text after a closing quote, wrong fixed-width length)',
  ENCODING_INVALID: 'a byte sequence is invalid in the file\'s encoding',
  REQUIRED_MISSING: 'a required value is empty',
  TOO_LONG: 'a value is longer than its column allows',
  INVALID_DATE: 'not a real date in an accepted format',
  INVALID_AMOUNT: 'not an exact decimal amount',
  INVALID_INTEGER: 'not a whole number',
  INVALID_SSN: 'not a social security number',
  DATE_ORDER: 'an end date before its start date',
  UNKNOWN_EMPLOYEE: 'the employee is not known for this tenant',
  UNKNOWN_PLAN: 'the plan code is not known for this vendor',
  NO_RECORD: 'no benefit record (or none in the outbound file this answers) for this employee and plan',
  DUPLICATE_KEY: 'an earlier line of the file already answers this employee and plan',
  DATE_AMBIGUOUS: 'warning: an ambiguous date was read with the spec\'s preference',
  URL_BLOCKED: 'warning: a URL was refused by the SSRF guard and not stored; the rest of the row applies',
} as const;
export type RowErrorCode = keyof typeof ROW_ERROR_CODES;
export const WARNING_CODES: readonly RowErrorCode[] = ['DATE_AMBIGUOUS', 'URL_BLOCKED'];

export interface RowIssue { col: string; code: RowErrorCode; message: string }

export interface ValidatedRow {
  line: number;
  /** The raw row with SSNs and sensitive columns masked; computed only for rows with issues. */
  readonly rawMasked: string;
  employeeId: string | null;
  planCode: string | null;
  /** benefit_records.fields updates this row carries (URL fields included until the guard says otherwise). */
  readonly values: Record<string, string | number>;
  urls: Array<{ col: string; field: string | undefined; url: string }>;
  issues: RowIssue[];
  /** True when an issue other than a warning was found. */
  rejected: boolean;
}

export interface SourceRecord { fields: string[]; line: number; raw: string; malformed?: string }

/** How a column's value is read (decided once per column, compared per value). */
const TEXT = 0;
const DATE = 1;
const MONEY = 2;
const OTHER = 3;
const EMPLOYEE = 1;
const PLAN = 2;

/**
 * Pure pass over one record: clean, type-check and normalise each column the spec names.
 * `index[k]` is the position in the record of spec column k (-1: absent from this file).
 */
export function createRowValidator(compiled: CompiledIngestSpec, index: readonly number[], expectedFields: number) {
  const { spec } = compiled;
  const columns = spec.columns;
  const dateFormatsOf = (c: IngestColumn) => compiled.dateFormats.get(c.name)!;
  const orderRules = spec.dateOrder.map((rule) => [columns.findIndex((c) => c.name === rule.start), columns.findIndex((c) => c.name === rule.end), rule] as const);
  const formatsByColumn = columns.map((c) => (c.type === 'date' ? dateFormatsOf(c) : []));
  const sensitiveIdx = new Set(columns.flatMap((c, k) => (c.sensitive || c.type === 'ssn' ? [index[k]!] : [])));
  // Everything about a column that does not depend on the row, decided once.
  const cols = columns.map((c, k) => ({
    c, at: index[k]!, formats: formatsByColumn[k]!,
    kind: c.type === 'date' ? DATE : c.type === 'money' || c.type === 'decimal' ? MONEY : c.type === 'integer' || c.type === 'ssn' ? OTHER : TEXT,
    role: c.role === 'employeeId' ? EMPLOYEE : c.role === 'planCode' ? PLAN : 0,
    isUrl: c.type === 'url',
    keep: Boolean(c.field),
    sensitive: Boolean(c.sensitive || c.type === 'ssn'),
    mustHave: Boolean(c.required || c.role === 'employeeId' || c.role === 'planCode'),
    invalidCode: (c.type === 'date' ? 'INVALID_DATE' : c.type === 'integer' ? 'INVALID_INTEGER' : c.type === 'ssn' ? 'INVALID_SSN' : 'INVALID_AMOUNT') as RowErrorCode,
  }));
  // A Map, not the spec's object: a vendor code such as `constructor` must not find Object.prototype's.
  const planCodeMap = new Map(Object.entries(spec.planCodeMap));
  const valueFields = columns.map((c) => c.field);
  // Cleaned values of the row being validated, for the cross-field rules; reused (never escapes a call).
  const clean: Array<string | null> = new Array(columns.length).fill(null);

  const mask = (r: SourceRecord): string => {
    const fields = sensitiveIdx.size ? r.fields.map((f, i) => (sensitiveIdx.has(i) && f ? '***' : f)) : r.fields;
    return maskSsnLike(fields.join(spec.delimiter)).slice(0, 2000);
  };

  return (record: SourceRecord): ValidatedRow => {
    const issues: RowIssue[] = [];
    // By column; the `values` object is built only if asked for (pass 2), never in pass 1.
    const parsedValues: Array<string | number | undefined> = new Array(cols.length);
    const urls: ValidatedRow['urls'] = [];
    let employeeId: string | null = null;
    let planCode: string | null = null;
    const fields = record.fields;
    // Fields are pieces of the raw text: when it has no zero-width or NBSP, a trim cleans any of them.
    const special = hasSpecialChars(record.raw);
    const suspect = special && hasReplacementChar(record.raw);
    const dirty = special && needsCleaning(record.raw);
    if (record.malformed) issues.push({ col: '*', code: 'MALFORMED_ROW', message: record.malformed });
    if (spec.format === 'csv' && fields.length !== expectedFields) {
      issues.push({ col: '*', code: 'COLUMN_COUNT', message: `expected ${expectedFields} fields, found ${fields.length}` });
    }
    for (let k = 0; k < cols.length; k++) {
      const col = cols[k]!;
      const c = col.c;
      clean[k] = null;
      const rawValue = col.at >= 0 ? fields[col.at] : undefined;
      if (suspect && rawValue !== undefined && hasReplacementChar(rawValue)) {
        issues.push({ col: c.name, code: 'ENCODING_INVALID', message: `${c.name}: invalid byte sequence for ${spec.encoding}` });
        continue;
      }
      const v = rawValue === undefined ? '' : dirty ? cleanText(rawValue) : trimmed(rawValue);
      if (v === '') {
        if (col.mustHave) issues.push({ col: c.name, code: 'REQUIRED_MISSING', message: `${c.name}: required value is empty` });
        continue;
      }
      if (c.maxLength && v.length > c.maxLength) {
        issues.push({ col: c.name, code: 'TOO_LONG', message: `${c.name}: ${v.length} characters, at most ${c.maxLength}` });
        continue;
      }
      // Dates and amounts (nearly every typed value) are read without a result object; the reason
      // for a refusal is worked out only then.
      let value: string | number;
      let refused: string | null = null;
      if (col.kind === DATE) {
        const iso = readDate(v, col.formats);
        if (iso === AMBIGUOUS) {
          const parsed = parseDate(v, col.formats, compiled.preference) as { value: string; ambiguous: string };
          issues.push({ col: c.name, code: 'DATE_AMBIGUOUS', message: `${c.name}: "${v}" ${parsed.ambiguous}` });
          value = parsed.value;
        } else if (iso === null) {
          refused = badDate(col.formats);
          value = '';
        } else value = iso;
      } else if (col.kind === MONEY) {
        const amount = readMoney(v);
        if (typeof amount === 'string') value = amount;
        else { refused = moneyReason(amount); value = ''; }
      } else if (col.kind === TEXT) {
        value = v;
      } else {
        const parsed: Parsed<string | number> = c.type === 'integer' ? parseInteger(v) : parseSsn(v);
        if (parsed.ok) value = parsed.value;
        else { refused = parsed.reason; value = ''; }
      }
      if (refused !== null) {
        const shown = col.sensitive ? '' : ` "${v.length > 40 ? `${v.slice(0, 40)}…` : v}"`;
        issues.push({ col: c.name, code: col.invalidCode, message: `${c.name}:${shown} ${refused}` });
        continue;
      }
      const text = typeof value === 'string' ? value : String(value);
      clean[k] = text;
      if (col.role === EMPLOYEE) employeeId = text;
      else if (col.role === PLAN) planCode = planCodeMap.get(text) ?? text;
      if (col.isUrl) urls.push({ col: c.name, field: c.field, url: v });
      if (col.keep) parsedValues[k] = value;
    }
    for (let r = 0; r < orderRules.length; r++) {
      const [start, end, rule] = orderRules[r]!;
      const s = clean[start];
      const e = clean[end];
      if (s && e && e < s) issues.push({ col: rule.end, code: 'DATE_ORDER', message: `${rule.end} ${e} is before ${rule.start} ${s}` });
    }
    let rejected = false;
    for (let i = 0; i < issues.length; i++) if (!WARNING_CODES.includes(issues[i]!.code)) rejected = true;
    return new Row(record, mask, valueFields, parsedValues, employeeId, planCode, urls, issues, rejected);
  };
}

class Row implements ValidatedRow {
  private masked: string | undefined;
  private valuesObject: ValidatedRow['values'] | undefined;
  constructor(
    private readonly record: SourceRecord, private readonly mask: (r: SourceRecord) => string,
    private readonly valueFields: ReadonlyArray<string | undefined>, private readonly parsedValues: ReadonlyArray<string | number | undefined>,
    readonly employeeId: string | null, readonly planCode: string | null,
    readonly urls: ValidatedRow['urls'], readonly issues: RowIssue[], public rejected: boolean,
  ) {}
  get line(): number { return this.record.line; }
  get rawMasked(): string { return (this.masked ??= this.mask(this.record)); }
  get values(): ValidatedRow['values'] {
    if (!this.valuesObject) {
      const values: ValidatedRow['values'] = {};
      for (let k = 0; k < this.valueFields.length; k++) {
        const field = this.valueFields[k];
        const value = this.parsedValues[k];
        if (field !== undefined && value !== undefined) values[field] = value;
      }
      this.valuesObject = values;
    }
    return this.valuesObject;
  }
}

/** Positions of the spec's columns in a header row (matched by cleaned, case-insensitive name). */
export function mapHeader(compiled: CompiledIngestSpec, header: readonly string[]): { index: number[]; missing: string[] } {
  const names = header.map((h) => cleanText(h).toLowerCase());
  const index = compiled.spec.columns.map((c) => names.indexOf(c.name.toLowerCase()));
  const missing = compiled.spec.columns.filter((c, k) => index[k] === -1 && (c.required || c.role === 'employeeId' || c.role === 'planCode')).map((c) => c.name);
  return { index, missing };
}
