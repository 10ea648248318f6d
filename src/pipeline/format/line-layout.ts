import type { Outbound } from '../../vendors/spec-schema.js';
import { readPath } from '../../vendors/field-paths.js';
import { ColumnTotals, compileColumns, resolveValue, type CompiledColumn } from './columns.js';
import { MAINTENANCE_REASONS, type MaintenanceCode } from './outbound-record.js';
import type { FileFacts, WriterStats } from './record-writer.js';

export interface Cell { col: CompiledColumn; value: string | null }
export type DeferredValues = { ok: true; values: Array<string | null> } | { ok: false; column: string; message: string };

/**
 * The column layout shared by the CSV and fixed-width writers: detail lines come from a record's
 * image plus the values decided at write time (maintenance code, file facts); header and trailer
 * lines from the file's facts and, for the trailer, the final counts and totals.
 */
export class LineLayout {
  readonly detail: CompiledColumn[];
  readonly header: CompiledColumn[] | null;
  readonly trailer: CompiledColumn[] | null;
  private readonly totals = new ColumnTotals();
  private readonly totalled: string[];
  private readonly deferredByCode = new Map<MaintenanceCode, DeferredValues>();

  constructor(out: Outbound, private readonly facts: FileFacts, private readonly settings: Record<string, unknown>) {
    this.detail = compileColumns(out.columns ?? []);
    this.header = out.header ? compileColumns(out.header.columns) : null;
    this.trailer = out.trailer ? compileColumns(out.trailer.columns) : null;
    this.totalled = (out.trailer?.columns ?? []).flatMap((c) => {
      const m = c.field && /^file\.totals\.(.+)$/.exec(c.field);
      return m ? [m[1]!] : [];
    });
  }

  /**
   * The write-time values for one maintenance code, indexed like `detail` (null at other columns),
   * or the first column that cannot be resolved (then no line with that code can be written).
   */
  deferredValues(code: MaintenanceCode): DeferredValues {
    let resolved = this.deferredByCode.get(code);
    if (!resolved) {
      const ctx = { maintenance: { code, reason: MAINTENANCE_REASONS[code] }, file: this.facts };
      const values = new Array<string | null>(this.detail.length).fill(null);
      resolved = { ok: true, values };
      for (let i = 0; i < this.detail.length; i++) {
        const col = this.detail[i]!;
        if (col.kind !== 'deferred') continue;
        const r = resolveValue(col, readPath(ctx, col.path));
        if (!r.ok) {
          resolved = { ok: false, column: col.name, message: r.message };
          break;
        }
        values[i] = r.value;
      }
      this.deferredByCode.set(code, resolved);
    }
    return resolved;
  }

  /** Adds a written line's values to the trailer totals. */
  count(line: Record<string, string | null>): void {
    for (const name of this.totalled) this.totals.add(name, line[name] ?? null);
  }

  headerLine(): Cell[] | null {
    return this.header && this.fixedLine(this.header, { ...this.facts });
  }

  trailerLine(stats: WriterStats): Cell[] | null {
    if (!this.trailer) return null;
    const totals = Object.fromEntries(this.totalled.map((n) => [n, this.totals.get(n)]));
    return this.fixedLine(this.trailer, {
      ...this.facts, recordCount: stats.records, lineCount: stats.lines, memberCount: stats.members,
      dependentCount: stats.dependents, totals,
    });
  }

  private fixedLine(columns: CompiledColumn[], file: Record<string, unknown>): Cell[] {
    const ctx = { file, settings: this.settings };
    return columns.map((col) => {
      const r = resolveValue(col, col.kind === 'const' ? col.spec.value : readPath(ctx, col.path));
      // Header and trailer values come from our own facts and the tenant's settings: a gap is a setup error.
      if (!r.ok) throw new Error(`header/trailer ${r.message}`);
      return { col, value: r.value };
    });
  }
}
