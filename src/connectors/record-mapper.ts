import type { z } from 'zod';
import { EmployeeSnapshot } from '../shared/snapshot.js';
import type { FieldMap, ServiceDescriptor } from './descriptors/schema.js';
import { compileSchema, INVALID, type Failure, type Validator } from './compile-schema.js';
import { recordReader } from './record-path.js';

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

type Reader = (record: unknown) => unknown;

const ETAG = /^(?:W\/)?"?(\d+)"?$/;
const INTEGER = /^-?\d+$/;

/** A source compiled into one function: its path parsed once, its `as` conversion applied. */
function sourceReader(src: Source): Reader {
  const { path, as } = typeof src === 'string' ? { path: src, as: 'value' as const } : src;
  const at = recordReader(path);
  switch (as) {
    case 'nullable': return (r) => { const v = at(r); return v === undefined ? null : v; }; // an absent optional attribute (SCIM omits nulls)
    case 'number': return (r) => { const v = at(r); return typeof v === 'string' && INTEGER.test(v) ? Number(v) : v; };
    case 'etag-version': return (r) => {
      // SCIM meta.version is an ETag such as W/"3".
      const v = at(r);
      const m = typeof v === 'string' ? ETAG.exec(v) : null;
      return m ? Number(m[1]) : undefined;
    };
    default: return at;
  }
}

interface CompiledMap {
  id: Reader;
  version: Reader;
  location: Reader | null;
  department: Reader | null;
  targets: string[];
  readers: Reader[];
  validators: Validator[];
}

/** Envelope and field map compiled once per descriptor object (descriptors live as long as the process). */
const compiledMaps = new WeakMap<object, WeakMap<object, CompiledMap>>();

/** The last pair asked for: records come a page at a time, all with the same envelope and fields. */
let last: { envelope: object; fields: object; map: CompiledMap } | null = null;

function compileMap(envelope: ServiceDescriptor['envelope'], fields: FieldMap): CompiledMap {
  if (last && last.envelope === envelope && last.fields === fields) return last.map;
  const map = compileMapOnce(envelope, fields);
  last = { envelope, fields, map };
  return map;
}

function compileMapOnce(envelope: ServiceDescriptor['envelope'], fields: FieldMap): CompiledMap {
  let byFields = compiledMaps.get(envelope);
  if (!byFields) compiledMaps.set(envelope, (byFields = new WeakMap()));
  let c = byFields.get(fields);
  if (!c) {
    const targets = Object.keys(fields);
    c = {
      id: sourceReader(envelope.employeeId),
      version: sourceReader(envelope.version),
      location: envelope.location ? sourceReader(envelope.location) : null,
      department: envelope.department ? sourceReader(envelope.department) : null,
      targets,
      readers: targets.map((t) => sourceReader(fields[t]!)),
      validators: targets.map((t) => fieldValidator(t)),
    };
    byFields.set(fields, c);
  }
  return c;
}

/** The compiled check of one snapshot field (same verdict as its zod schema). */
export function fieldValidator(target: string): Validator {
  return compileSchema(snapshotFieldSchema(target));
}

/** The employee id a raw record claims (unchecked), to skip records nobody asked for cheaply. */
export function recordEmployeeId(raw: unknown, envelope: ServiceDescriptor['envelope']): unknown {
  if (raw === null || typeof raw !== 'object') return undefined;
  if (lastId?.envelope !== envelope) lastId = { envelope, read: compileMapOnce(envelope, NO_FIELDS).id };
  return lastId.read(raw);
}

let lastId: { envelope: object; read: Reader } | null = null;

/** The field map of an envelope-only read (version lists): one shared object, compiled once. */
export const NO_FIELDS: FieldMap = Object.freeze({});

/**
 * Maps and validates one raw record: who and which version (the envelope), then every mapped field
 * against the snapshot's own schema. Anything missing or mistyped makes the whole record bad: a
 * record is used whole or not at all.
 */
export function mapRecord(raw: unknown, envelope: ServiceDescriptor['envelope'], fields: FieldMap): MapResult {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return { ok: false, employeeId: null, reason: 'record is not an object' };
  const c = compileMap(envelope, fields);
  const id = c.id(raw);
  if (typeof id !== 'string' || id.length === 0) return { ok: false, employeeId: null, reason: 'record without an employee id' };
  const version = c.version(raw);
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) {
    return { ok: false, employeeId: id, reason: 'record without a valid version' };
  }
  const record: ServiceRecord = { employeeId: id, version, values: {} };
  if (c.location) {
    const v = c.location(raw);
    if (typeof v === 'string') record.location = v;
  }
  if (c.department) {
    const v = c.department(raw);
    if (typeof v === 'string') record.department = v;
  }
  const failure: Failure = { path: [] };
  for (let i = 0; i < c.targets.length; i++) {
    const target = c.targets[i]!;
    const value = c.readers[i]!(raw);
    const parsed = c.validators[i]!(value, failure);
    if (parsed === INVALID) {
      const where = failure.path.length ? `${target}.${failure.path.join('.')}` : target;
      return { ok: false, employeeId: id, reason: `${value === undefined ? 'missing' : 'invalid'} field ${where}` };
    }
    record.values[target] = parsed;
  }
  return { ok: true, record };
}
