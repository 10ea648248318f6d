import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { EmployeeSnapshot } from '../shared/snapshot.js';
import { generateEmployees } from '../sim/index.js';
import { compileSchema, INVALID, type Failure } from './compile-schema.js';
import { Rng } from '../sim/prng.js';

/** zod's own verdict, output and first issue path, in the compiled validator's terms. */
function viaZod(schema: z.ZodType, value: unknown): { ok: boolean; out?: unknown; path?: PropertyKey[] } {
  const r = schema.safeParse(value);
  return r.success ? { ok: true, out: r.data } : { ok: false, path: r.error.issues[0]!.path };
}

function compiled(schema: z.ZodType, value: unknown): { ok: boolean; out?: unknown; path?: PropertyKey[] } {
  const f: Failure = { path: [] };
  const out = compileSchema(schema)(value, f);
  return out === INVALID ? { ok: false, path: f.path } : { ok: true, out };
}

/** Every position in a JSON value: [parent, key] pairs, the root excluded. */
function positions(v: unknown, out: Array<[Record<string | number, unknown>, string | number]> = []) {
  if (v !== null && typeof v === 'object') {
    for (const k of Object.keys(v)) {
      const key = Array.isArray(v) ? Number(k) : k;
      out.push([v as Record<string | number, unknown>, key]);
      positions((v as Record<string, unknown>)[k], out);
    }
  }
  return out;
}

const WRONG: unknown[] = [undefined, null, 0, -1, 1.5, 101, Number.NaN, '', 'x', '2025-13-01x', '123456789', 'FT', true, [], {}, [1], { a: 1 }];

describe('compileSchema', () => {
  it('agrees with zod on every snapshot of a synthetic enterprise and on thousands of damaged copies', () => {
    const rng = new Rng(7);
    let damaged = 0;
    for (const snapshot of generateEmployees({ employees: 150, seed: 11 })) {
      const good = compiled(EmployeeSnapshot, snapshot);
      expect(good).toEqual(viaZod(EmployeeSnapshot, snapshot));
      expect(good.ok).toBe(true);
      for (let i = 0; i < 20; i++) {
        const copy = structuredClone(snapshot) as unknown;
        const spots = positions(copy);
        const [parent, key] = spots[Math.floor(rng.next() * spots.length)]!;
        const roll = rng.next();
        if (roll < 0.1) delete parent[key];
        else if (roll < 0.2 && !Array.isArray(parent)) parent[`extra${i}`] = 'not in the schema';
        else parent[key] = WRONG[Math.floor(rng.next() * WRONG.length)];
        expect(compiled(EmployeeSnapshot, copy)).toEqual(viaZod(EmployeeSnapshot, copy));
        damaged++;
      }
    }
    expect(damaged).toBe(3000);
  });

  it('strips unknown keys as zod does and leaves the input untouched', () => {
    const [s] = generateEmployees({ employees: 1, seed: 3 });
    const input = structuredClone(s!) as unknown as Record<string, Record<string, unknown>>;
    input.address!.county = 'Cook';
    (input as Record<string, unknown>).note = 'x';
    const before = structuredClone(input);
    const out = compiled(EmployeeSnapshot, input);
    expect(out).toEqual(viaZod(EmployeeSnapshot, input));
    expect(out.out).toEqual(s);
    expect(input).toEqual(before);
  });

  it('hands what it does not compile to zod', () => {
    const odd = z.object({ when: z.iso.date(), n: z.number().multipleOf(5), tags: z.array(z.string()).min(1), o: z.string().optional() });
    for (const v of [{ when: '2025-01-01', n: 10, tags: ['a'] }, { when: '2025-1-1', n: 10, tags: ['a'] }, { when: '2025-01-01', n: 7, tags: [] }, { when: '2025-01-01', n: 5, tags: ['a'], o: 1 }]) {
      expect(compiled(odd, v)).toEqual(viaZod(odd, v));
    }
  });
});
