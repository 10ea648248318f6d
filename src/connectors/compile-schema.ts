import type { z } from 'zod';

/** What a compiled validator returns for a value that does not fit. */
export const INVALID: unique symbol = Symbol('invalid');

/** Where the first problem was found (filled only on failure, outermost key first). */
export interface Failure { path: PropertyKey[] }

/**
 * Returns the parsed value or INVALID with `failure.path` set: the same verdict and the same
 * output as `schema.safeParse` (objects carry the schema's keys only, as zod strips unknown keys),
 * except that a value with nothing to strip is returned as it came rather than copied.
 */
export type Validator = (value: unknown, failure: Failure) => unknown;

type Def = {
  type: string;
  checks?: Array<{ _zod: { def: Record<string, unknown> } }>;
  shape?: Record<string, z.ZodType>;
  catchall?: unknown;
  element?: z.ZodType;
  innerType?: z.ZodType;
  entries?: Record<string, unknown>;
  coerce?: boolean;
};

const compiled = new WeakMap<z.ZodType, Validator>();

/**
 * Compiles a zod schema into a plain validator, once per schema. Records arrive by the thousand per
 * page and zod's general machinery (a context, an issue list and a payload per call and per
 * nested value) costs several times the check itself. Only the shapes the snapshot uses are
 * compiled (string, number, boolean, enum, nullable, array, object with unknown keys stripped, and
 * their length, pattern, integer and bound checks); any other schema or check is handed to zod
 * itself, so the verdict never differs from `safeParse`.
 */
export function compileSchema(schema: z.ZodType): Validator {
  let v = compiled.get(schema);
  if (!v) {
    v = build(schema) ?? viaZod(schema);
    compiled.set(schema, v);
  }
  return v;
}

const handedToZod = new WeakSet<Validator>();

function viaZod(schema: z.ZodType): Validator {
  const v: Validator = (value, failure) => {
    const r = schema.safeParse(value);
    if (r.success) return r.data;
    failure.path.push(...(r.error.issues[0]?.path ?? []));
    return INVALID;
  };
  handedToZod.add(v);
  return v;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function build(schema: z.ZodType): Validator | null {
  const def = (schema as unknown as { _zod: { def: Def } })._zod.def;
  if (def.coerce) return null;
  switch (def.type) {
    case 'string': {
      const test = checksOf(def, stringCheck);
      if (!test) return null;
      return (v) => (typeof v === 'string' && test(v) ? v : INVALID);
    }
    case 'number': {
      const test = checksOf(def, numberCheck);
      if (!test) return null;
      return (v) => (typeof v === 'number' && Number.isFinite(v) && test(v) ? v : INVALID);
    }
    case 'boolean':
      return def.checks?.length ? null : (v) => (typeof v === 'boolean' ? v : INVALID);
    case 'enum': {
      if (def.checks?.length || !def.entries) return null;
      const allowed = new Set(Object.values(def.entries));
      return (v) => (allowed.has(v) ? v : INVALID);
    }
    case 'nullable': {
      const inner = compileSchema(def.innerType!);
      return (v, f) => (v === null ? null : inner(v, f));
    }
    case 'array': {
      if (def.checks?.length) return null;
      const el = compileSchema(def.element!);
      return (v, f) => {
        if (!Array.isArray(v)) return INVALID;
        let out: unknown[] | null = null; // a copy only once an element differs from its input
        for (let i = 0; i < v.length; i++) {
          const x = el(v[i], f);
          if (x === INVALID) {
            f.path.unshift(i);
            return INVALID;
          }
          if (out) out[i] = x;
          else if (x !== v[i]) {
            out = v.slice(0, i);
            out[i] = x;
          }
        }
        return out ?? v;
      };
    }
    case 'object': {
      // Strict or passthrough objects, optional keys and the like are zod's to judge.
      if (def.checks?.length || def.catchall !== undefined || !def.shape) return null;
      const keys = Object.keys(def.shape);
      const shapes = keys.map((k) => (def.shape![k] as unknown as { _zod: { def: Def; optin?: string } })._zod);
      if (shapes.some((s) => s.optin === 'optional' || s.def.type === 'optional' || s.def.type === 'default')) return null;
      const fields = keys.map((k) => compileSchema(def.shape![k]!));
      // How zod treats an absent key depends on the field's schema: only judge fields compiled here.
      if (fields.some((v) => handedToZod.has(v))) return null;
      return (v, f) => {
        if (!isObject(v)) return INVALID;
        let out: Record<string, unknown> | null = null; // a copy only once a field differs from its input
        for (let i = 0; i < keys.length; i++) {
          const k = keys[i]!;
          const x = fields[i]!(v[k], f);
          if (x === INVALID) {
            f.path.unshift(k);
            return INVALID;
          }
          if (out) out[k] = x;
          else if (x !== v[k]) {
            out = {};
            for (let j = 0; j < i; j++) out[keys[j]!] = v[keys[j]!];
            out[k] = x;
          }
        }
        if (out) return out;
        // Nothing to strip: the input is the output (no copy per record).
        let n = 0;
        for (const k in v) if (Object.hasOwn(v, k)) n++;
        if (n === keys.length) return v;
        out = {};
        for (const k of keys) out[k] = v[k];
        return out;
      };
    }
    default:
      return null;
  }
}

type CheckDef = Record<string, unknown>;

/** All of a schema's checks as one test, or null when one of them is not understood here. */
function checksOf<T>(def: Def, one: (c: CheckDef) => ((v: T) => boolean) | null): ((v: T) => boolean) | null {
  const tests: Array<(v: T) => boolean> = [];
  for (const c of def.checks ?? []) {
    const t = one(c._zod.def);
    if (!t) return null;
    tests.push(t);
  }
  if (tests.length === 0) return () => true;
  if (tests.length === 1) return tests[0]!;
  return (v) => tests.every((t) => t(v));
}

function stringCheck(c: CheckDef): ((v: string) => boolean) | null {
  switch (c.check) {
    case 'length_equals': { const n = c.length as number; return (v) => v.length === n; }
    case 'min_length': { const n = c.minimum as number; return (v) => v.length >= n; }
    case 'max_length': { const n = c.maximum as number; return (v) => v.length <= n; }
    case 'string_format': {
      if (c.format !== 'regex' || !(c.pattern instanceof RegExp)) return null;
      const re = c.pattern;
      return (v) => { re.lastIndex = 0; return re.test(v); };
    }
    default: return null;
  }
}

function numberCheck(c: CheckDef): ((v: number) => boolean) | null {
  switch (c.check) {
    case 'number_format':
      return c.format === 'safeint' ? Number.isSafeInteger : null;
    case 'greater_than': {
      const n = c.value as number;
      return c.inclusive ? (v) => v >= n : (v) => v > n;
    }
    case 'less_than': {
      const n = c.value as number;
      return c.inclusive ? (v) => v <= n : (v) => v < n;
    }
    default: return null;
  }
}
