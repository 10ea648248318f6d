import type { z } from 'zod';
import { fieldValidator } from '../../connectors/record-mapper.js';
import { INVALID } from '../../connectors/compile-schema.js';
import { writePath } from '../../connectors/record-path.js';
import { EmployeeSnapshot } from '../../shared/snapshot.js';

/** A snapshot object's keys, with the nested object schemas whose keys must be present too. */
interface Shape { keys: string[]; nested: Map<string, Shape> }

function shapeOf(schema: z.ZodType): Shape | null {
  const def = (schema as unknown as { _zod: { def: { type: string; shape?: Record<string, z.ZodType> } } })._zod.def;
  if (def.type !== 'object' || !def.shape) return null;
  const keys = Object.keys(def.shape);
  const nested = new Map<string, Shape>();
  for (const k of keys) {
    const s = shapeOf(def.shape[k]!);
    if (s) nested.set(k, s);
  }
  return { keys, nested };
}

let snapshotShape: Shape | null = null;

function firstMissing(value: Record<string, unknown>, shape: Shape, prefix: string): string | null {
  for (const k of shape.keys) {
    const v = value[k];
    if (v === undefined) return prefix + k;
    const inner = shape.nested.get(k);
    if (inner) {
      if (v === null || typeof v !== 'object' || Array.isArray(v)) return prefix + k;
      const m = firstMissing(v as Record<string, unknown>, inner, `${prefix}${k}.`);
      if (m) return m;
    }
  }
  return null;
}

/**
 * One employee's snapshot from the services' validated contributions (snapshot path → value).
 * Every value was already checked against its own field's schema when its record was mapped (or
 * read back from the cache), so the whole is not parsed again: what is left to prove is that no
 * field is missing and that the id and version are sound — a cheap walk over the keys.
 */
export function assembleSnapshot(employeeId: string, version: number, parts: Iterable<Record<string, unknown>>): { snapshot: EmployeeSnapshot } | { reason: string } {
  const draft: Record<string, unknown> = { employeeId, version };
  // Values are the services' own objects, shared with their records: write around them, not into them.
  let owned: Set<object> | undefined;
  for (const values of parts) {
    for (const path in values) {
      if (path.includes('.')) writePath(draft, path, values[path], (owned ??= new Set()));
      else draft[path] = values[path];
    }
  }
  if (employeeId.length === 0 || fieldValidator('version')(version, { path: [] }) === INVALID) {
    return { reason: 'assembled snapshot invalid at version' };
  }
  snapshotShape ??= shapeOf(EmployeeSnapshot)!;
  const missing = firstMissing(draft, snapshotShape, '');
  if (missing) return { reason: `assembled snapshot invalid at ${missing}` };
  return { snapshot: draft as EmployeeSnapshot };
}

/**
 * A cached contribution is used only if every value still passes its field's check as it is (the
 * cache is another process's memory: cheap to re-check, costly to trust blindly). A miss otherwise.
 */
export function cachedValuesValid(values: unknown): values is Record<string, unknown> {
  if (values === null || typeof values !== 'object' || Array.isArray(values)) return false;
  const failure = { path: [] };
  for (const [target, v] of Object.entries(values)) {
    let check;
    try {
      check = fieldValidator(target);
    } catch {
      return false;
    }
    if (check(v, failure) !== v) return false; // invalid, or carrying keys no snapshot has
  }
  return true;
}
