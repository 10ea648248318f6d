import type { z } from 'zod';
import { EmployeeSnapshot } from '../shared/snapshot.js';
import type { FieldMap, ServiceDescriptor } from './descriptors/schema.js';
import { readPath } from './record-path.js';

/** One service's validated contribution for one employee: snapshot field path → value. */
export interface ServiceRecord {
  employeeId: string;
  version: number;
  location?: string;
  department?: string;
  values: Record<string, unknown>;
}

export type MapResult =
  | { ok: true; record: ServiceRecord }
  | { ok: false; employeeId: string | null; reason: string };

type Source = FieldMap[string];

const schemaCache = new Map<string, z.ZodType>();

/** The zod schema of one snapshot field, found by walking EmployeeSnapshot's object shapes. */
export function snapshotFieldSchema(target: string): z.ZodType {
  const hit = schemaCache.get(target);
  if (hit) return hit;
  let cur: z.ZodType = EmployeeSnapshot;
  for (const key of target.split('.')) {
    const shape = (cur as unknown as { shape?: Record<string, z.ZodType> }).shape;
    const next = shape?.[key];
    if (!next) throw new RangeError(`"${target}" is not a field of the employee snapshot`);
    cur = next;
  }
  schemaCache.set(target, cur);
  return cur;
}

function read(record: unknown, src: Source): unknown {
  const { path, as } = typeof src === 'string' ? { path: src, as: 'value' as const } : src;
  const v = readPath(record, path);
  if (as === 'nullable') return v === undefined ? null : v; // an absent optional attribute (SCIM omits nulls)
  if (as === 'number') return typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : v;
  if (as === 'etag-version') {
    // SCIM meta.version is an ETag such as W/"3".
    const m = typeof v === 'string' ? /^(?:W\/)?"?(\d+)"?$/.exec(v) : null;
    return m ? Number(m[1]) : undefined;
  }
  return v;
}

/**
 * Maps and validates one raw record: who and which version (the envelope), then every mapped field
 * against the snapshot's own schema. Anything missing or mistyped makes the whole record bad: a
 * record is used whole or not at all.
 */
export function mapRecord(raw: unknown, envelope: ServiceDescriptor['envelope'], fields: FieldMap): MapResult {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return { ok: false, employeeId: null, reason: 'record is not an object' };
  const id = read(raw, envelope.employeeId);
  if (typeof id !== 'string' || id.length === 0) return { ok: false, employeeId: null, reason: 'record without an employee id' };
  const version = read(raw, envelope.version);
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) {
    return { ok: false, employeeId: id, reason: 'record without a valid version' };
  }
  const record: ServiceRecord = { employeeId: id, version, values: {} };
  if (envelope.location) {
    const v = read(raw, envelope.location);
    if (typeof v === 'string') record.location = v;
  }
  if (envelope.department) {
    const v = read(raw, envelope.department);
    if (typeof v === 'string') record.department = v;
  }
  for (const [target, src] of Object.entries(fields)) {
    const value = read(raw, src);
    const parsed = snapshotFieldSchema(target).safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue?.path.length ? `${target}.${issue.path.join('.')}` : target;
      return { ok: false, employeeId: id, reason: `${value === undefined ? 'missing' : 'invalid'} field ${where}` };
    }
    record.values[target] = parsed.data;
  }
  return { ok: true, record };
}
