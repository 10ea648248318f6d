import type { Column } from '../../vendors/spec-schema.js';
import { compileDatePattern, type DatePattern } from '../../vendors/date-pattern.js';
import { isSensitivePath, splitPath } from '../../vendors/field-paths.js';
import { impliedDecimal, isDecimal, roundDecimal, toScaled, fromScaled } from './decimal.js';

/**
 * A spec column compiled once per file: its source (a constant, a path into the record context, or
 * a value only known when the line is written: maintenance code, file facts), its date pattern, and
 * whether it is sensitive. Values are resolved into a record's image by `resolveColumn` and turned
 * into text by `formatCell`; the two halves are apart because maintenance codes are decided after a
 * record's hash is computed.
 */
export interface CompiledColumn {
  name: string;
  spec: Column;
  kind: 'const' | 'path' | 'deferred';
  path: Array<string | number>;
  date: DatePattern | null;
  sensitive: boolean;
  numeric: boolean;
  /** Text written as resolved (no date, decimal or other formatting). */
  plain: boolean;
}

export function compileColumns(columns: readonly Column[]): CompiledColumn[] {
  return columns.map((c) => {
    const path = c.field ? splitPath(c.field) ?? [] : [];
    const root = path[0];
    return {
      name: c.name,
      spec: c,
      kind: c.value !== undefined ? 'const' : root === 'maintenance' || root === 'file' ? 'deferred' : 'path',
      path,
      date: c.format ? compileDatePattern(c.format) : null,
      sensitive: c.sensitive ?? (c.field ? isSensitivePath(c.field) : false),
      numeric: c.type === 'integer' || c.type === 'decimal',
      plain: c.type === 'string' || c.type === 'integer',
    };
  });
}

export type ResolveResult = { ok: true; value: string | null } | { ok: false; message: string };

/** Raw value → checked, mapped, defaulted value (text or null). Never echoes a sensitive value in a message. */
export function resolveValue(col: CompiledColumn, raw: unknown): ResolveResult {
  const c = col.spec;
  let v: string | null = raw === undefined || raw === null || raw === '' ? null : String(raw);
  if (v !== null && c.map) {
    const mapped = c.map[v];
    if (mapped === undefined) {
      if (c.default === undefined) return { ok: false, message: `${col.name}: no mapping for ${shown(col, v)}` };
      v = c.default;
    } else v = mapped;
  }
  if (v === null && c.default !== undefined) v = c.default;
  if (v === null || v === '') {
    return c.required ? { ok: false, message: `${col.name}: required value is missing` } : { ok: true, value: null };
  }
  if (c.type === 'integer' && !/^-?\d+$/.test(v)) return { ok: false, message: `${col.name}: ${shown(col, v)} is not a whole number` };
  if (c.type === 'decimal' && !isDecimal(v)) return { ok: false, message: `${col.name}: ${shown(col, v)} is not a decimal number` };
  if (c.type === 'date' && col.date && !/^\d{4}-\d{2}-\d{2}$/.test(v)) return { ok: false, message: `${col.name}: ${shown(col, v)} is not a date` };
  return { ok: true, value: v };
}

/** A value as an error message may show it (never a sensitive one). */
function shown(col: CompiledColumn, v: string): string {
  return col.sensitive ? '(sensitive value)' : `"${v}"`;
}

/** The value as text in the file (before fixed-width padding); null becomes the empty string. */
export function formatCell(col: CompiledColumn, value: string | null): string {
  if (value === null) return '';
  const c = col.spec;
  if (c.type === 'date' && col.date) return col.date.format(value);
  if (c.type === 'decimal') {
    if (c.impliedDecimal) return impliedDecimal(value, c.decimals!);
    return roundDecimal(value, c.decimals);
  }
  return value;
}

/** Sums decimal column values exactly (for trailer totals). */
export class ColumnTotals {
  private readonly sums = new Map<string, bigint>();
  constructor(private readonly scale = 6) {}
  add(column: string, value: string | null): void {
    if (value === null || !isDecimal(value)) return;
    this.sums.set(column, (this.sums.get(column) ?? 0n) + toScaled(value, this.scale));
  }
  get(column: string): string {
    return fromScaled(this.sums.get(column) ?? 0n, this.scale).replace(/\.?0+$/, '') || '0';
  }
}
