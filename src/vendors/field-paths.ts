import { z } from 'zod';
import { Election, EmployeeSnapshot } from '../shared/snapshot.js';

/**
 * What a spec column can point at. A line of an outbound file is one covered person (`member`) under
 * one election of one employee; `file` carries file-level facts (and, in a trailer, the counts and
 * totals only known at the end). Paths are checked against the snapshot schema when the spec is
 * validated, so `employee.person.lastname` fails there rather than as blank cells in a vendor file.
 */
export const MEMBER_FIELDS = [
  'kind', 'relationship', 'dependentId', 'sequence', 'firstName', 'middleName', 'lastName', 'ssn', 'dateOfBirth', 'gender',
] as const;
export const FILE_FIELDS = ['id', 'name', 'seq', 'controlNumber', 'date', 'time', 'tenant', 'vendor', 'kind', 'environment'] as const;
/** Known only once every record is written: allowed in trailers, not in headers or detail lines. */
export const FILE_END_FIELDS = ['recordCount', 'lineCount', 'memberCount', 'dependentCount'] as const;

/** Fields sealed at rest and masked in the stored image of what was sent. */
const SENSITIVE_PREFIXES = [
  'employee.person.ssn', 'employee.person.dateOfBirth', 'employee.address', 'employee.compensation.annualSalary',
  'employee.dependents', 'member.ssn', 'member.dateOfBirth',
];

export function isSensitivePath(path: string): boolean {
  return SENSITIVE_PREFIXES.some((p) => path === p || path.startsWith(`${p}.`) || path.startsWith(`${p}[`));
}

export type FieldScope = 'detail' | 'header' | 'trailer';

/** Returns null when the path is valid in that scope, else the reason. */
export function checkFieldPath(path: string, scope: FieldScope): string | null {
  const segments = splitPath(path);
  if (!segments) return `malformed field path "${path}"`;
  const [root, ...rest] = segments;
  if (scope !== 'detail' && root !== 'file' && root !== 'settings') {
    return `unknown field "${path}": a ${scope} record can use file.* and settings.* only`;
  }
  switch (root) {
    case 'employee': return walk(EmployeeSnapshot, rest, path);
    case 'election': return walk(Election, rest, path);
    case 'member': return rest.length === 1 && (MEMBER_FIELDS as readonly string[]).includes(String(rest[0])) ? null
      : `unknown field "${path}" (member has ${MEMBER_FIELDS.join(', ')})`;
    case 'plan': return rest.length === 1 && ['code', 'vendorCode', 'type'].includes(String(rest[0])) ? null
      : `unknown field "${path}" (plan has code, vendorCode, type)`;
    case 'maintenance': return rest.length === 1 && ['code', 'reason'].includes(String(rest[0])) ? null
      : `unknown field "${path}" (maintenance has code, reason)`;
    case 'settings': return rest.length > 0 ? null : `field "${path}" must name a setting`;
    case 'file': {
      const name = rest.length === 1 ? String(rest[0]) : rest.length === 2 && rest[0] === 'totals' ? 'totals' : '';
      if ((FILE_FIELDS as readonly string[]).includes(name)) return null;
      if ((FILE_END_FIELDS as readonly string[]).includes(name) || name === 'totals') {
        return scope === 'trailer' ? null : `field "${path}" is only known at the end of the file: use it in the trailer`;
      }
      return `unknown field "${path}" (file has ${[...FILE_FIELDS, ...FILE_END_FIELDS, 'totals.<column>'].join(', ')})`;
    }
    default:
      return `unknown field "${path}": it must start with employee., election., member., plan., maintenance., settings. or file.`;
  }
}

/** `a.b[2].c` → ['a','b',2,'c']; null when malformed. */
export function splitPath(path: string): Array<string | number> | null {
  if (!/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*|\[\d+\])*$/.test(path)) return null;
  const out: Array<string | number> = [];
  for (const m of path.matchAll(/([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]/g)) out.push(m[1] ?? Number(m[2]));
  return out;
}

/** Reads a compiled path from a context object; undefined when any step is missing. */
export function readPath(ctx: unknown, segments: ReadonlyArray<string | number>): unknown {
  let v: unknown = ctx;
  for (const s of segments) {
    if (v === null || v === undefined || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[s];
  }
  return v;
}

function walk(schema: z.ZodType, rest: Array<string | number>, path: string): string | null {
  let s: z.ZodType = schema;
  for (const seg of rest) {
    while (s instanceof z.ZodNullable || s instanceof z.ZodOptional) s = s.unwrap() as z.ZodType;
    if (s instanceof z.ZodObject && typeof seg === 'string') {
      const next = (s.shape as Record<string, z.ZodType>)[seg];
      if (!next) {
        const near = Object.keys(s.shape).find((k) => k.toLowerCase() === seg.toLowerCase());
        return `unknown field "${path}"${near ? ` (did you mean "${near}"?)` : ''}`;
      }
      s = next;
    } else if (s instanceof z.ZodArray && typeof seg === 'number') {
      s = s.element as z.ZodType;
    } else {
      return `unknown field "${path}"`;
    }
  }
  while (s instanceof z.ZodNullable || s instanceof z.ZodOptional) s = s.unwrap() as z.ZodType;
  if (s instanceof z.ZodObject || s instanceof z.ZodArray) return `field "${path}" is not a single value`;
  return null;
}
