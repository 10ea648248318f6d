import { z } from 'zod';
import { compileDateFormat, type DateFormat, type DatePreference } from './normalise.js';

/**
 * What ingest needs to know about a vendor's response files. The vendor spec's `inbound` section
 * (src/vendors) is the source; `ingestSpecFromVendor` maps it here, so the pipeline depends only on
 * this narrow shape. Columns name their role: the record key (employee id, plan code), a value
 * applied to the benefit record's fields (`field`), or only checked.
 */
const ColumnType = z.enum(['string', 'integer', 'decimal', 'money', 'date', 'url', 'ssn']);

export const IngestColumn = z.object({
  name: z.string().min(1),
  type: ColumnType.default('string'),
  required: z.boolean().default(false),
  /** The key of the benefit record this row answers. */
  role: z.enum(['employeeId', 'planCode', 'fileId']).optional(),
  /** Key in benefit_records.fields this column's value is applied to. */
  field: z.string().min(1).optional(),
  /** Fixed-width: width in bytes of the file's encoding. */
  width: z.number().int().min(1).max(10_000).optional(),
  /** Accepted date patterns for this column (overrides the section's). */
  dateFormats: z.array(z.string()).min(1).optional(),
  /** SSN, date of birth...: masked in stored raw rows and never echoed in messages. */
  sensitive: z.boolean().optional(),
  maxLength: z.number().int().positive().optional(),
}).strict();
export type IngestColumn = z.infer<typeof IngestColumn>;

export const IngestSpec = z.object({
  /** x12-834: rows are subscriber coverages under fixed column names (x12-834-rows.ts). */
  format: z.enum(['csv', 'fixed-width', 'x12-834']),
  encoding: z.enum(['utf-8', 'utf-16', 'windows-1252']).default('utf-8'),
  delimiter: z.string().length(1).default(','),
  /** CSV: the first record names the columns (matched by name, any order). */
  header: z.boolean().default(true),
  columns: z.array(IngestColumn).min(1),
  dateFormats: z.array(z.string()).min(1).default(['yyyy-MM-dd']),
  ambiguousDates: z.enum(['month-first', 'day-first']).default('month-first'),
  /** Share of data rows that may be rejected before the whole file is quarantined. */
  errorThreshold: z.number().min(0).max(1).default(0.05),
  /** Header-only files are structurally broken unless the vendor may answer with no rows. */
  allowEmpty: z.boolean().default(false),
  maxFieldChars: z.number().int().positive().default(65_536),
  maxColumns: z.number().int().positive().default(500),
  /** Cross-field rules: `end` must not be before `start` (both date columns). */
  dateOrder: z.array(z.object({ start: z.string(), end: z.string() }).strict()).default([]),
  /** A trailer record whose first field is `marker` and whose `countIndex`-th field counts the data rows. */
  trailer: z.object({ marker: z.string().min(1), countIndex: z.number().int().min(1) }).strict().optional(),
  /** How a response names the outbound file it answers: its name carries `{seq}`, or a column echoes our file id. */
  correlation: z.discriminatedUnion('by', [
    z.object({ by: z.literal('fileName'), pattern: z.string().min(1) }).strict(),
    z.object({ by: z.literal('column'), column: z.string().min(1) }).strict(),
  ]).optional(),
  /** Plan codes the vendor may answer for, besides those already on the tenant's records. */
  planCodes: z.array(z.string()).default([]),
  /** The vendor's plan codes back to ours (the inverse of the tenant's outbound `planCodes` map). */
  planCodeMap: z.record(z.string(), z.string()).default({}),
}).strict().superRefine((s, ctx) => {
  const names = new Set(s.columns.map((c) => c.name));
  const roles = s.columns.map((c) => c.role).filter(Boolean);
  for (const role of ['employeeId', 'planCode'] as const) {
    if (roles.filter((r) => r === role).length !== 1) ctx.addIssue({ code: 'custom', path: ['columns'], message: `exactly one column needs role "${role}"` });
  }
  if (s.format === 'fixed-width') s.columns.forEach((c, i) => { if (!c.width) ctx.addIssue({ code: 'custom', path: ['columns', i, 'width'], message: 'a fixed-width column needs a width' }); });
  s.dateOrder.forEach((r, i) => {
    for (const k of ['start', 'end'] as const) if (!names.has(r[k])) ctx.addIssue({ code: 'custom', path: ['dateOrder', i, k], message: `no column named "${r[k]}"` });
  });
  for (const patterns of [s.dateFormats, ...s.columns.map((c) => c.dateFormats ?? [])]) {
    for (const p of patterns) {
      try { compileDateFormat(p); } catch (e) { ctx.addIssue({ code: 'custom', path: ['dateFormats'], message: (e as Error).message }); }
    }
  }
});
export type IngestSpec = z.infer<typeof IngestSpec>;
export type IngestSpecInput = z.input<typeof IngestSpec>;

/** The spec with date formats compiled once. */
export interface CompiledIngestSpec {
  spec: IngestSpec;
  dateFormats: Map<string, DateFormat[]>;
  preference: DatePreference;
  employeeColumn: IngestColumn;
  planColumn: IngestColumn;
}

export function compileIngestSpec(input: IngestSpecInput | IngestSpec): CompiledIngestSpec {
  const spec = IngestSpec.parse(input);
  const section = spec.dateFormats.map(compileDateFormat);
  const dateFormats = new Map(spec.columns.filter((c) => c.type === 'date')
    .map((c) => [c.name, c.dateFormats ? c.dateFormats.map(compileDateFormat) : section]));
  return {
    spec, dateFormats, preference: spec.ambiguousDates,
    employeeColumn: spec.columns.find((c) => c.role === 'employeeId')!,
    planColumn: spec.columns.find((c) => c.role === 'planCode')!,
  };
}
