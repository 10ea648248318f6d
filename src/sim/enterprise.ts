import { LRUCache } from 'lru-cache';
import type { EmployeeSnapshot } from '../shared/snapshot.js';
import { dayOf } from './dates.js';
import { deriveRecord, employeeId, type EmployeeRecord } from './derive.js';
import { applyChange, baseFacts, type FactContext, type Facts } from './facts.js';
import { buildOrg, type Org } from './org.js';

export { employeeId, type EmployeeRecord, type EmployeeExtras } from './derive.js';

export interface EnterpriseOptions {
  seed: number;
  employees: number;
  /** The day the data describes (YYYY-MM-DD); never the clock, so runs repeat. */
  asOf?: string;
}

export const DEFAULT_AS_OF = '2025-06-30';

/**
 * The synthetic enterprise. Only the org structure is held in memory (a few bytes per employee);
 * an employee at a version is regenerated from (seed, index, version) on demand, which is what keeps
 * a 50,000-employee simulator small, and a small LRU absorbs the ~20 calls a client makes for one
 * employee in a row.
 */
export interface Enterprise {
  readonly seed: number;
  readonly size: number;
  readonly asOf: string;
  readonly org: Org;
  /** Employee index for an id, or -1 when there is no such employee. */
  indexOf(id: string): number;
  record(index: number, version: number): EmployeeRecord;
  snapshot(index: number, version: number): EmployeeSnapshot;
}

export function createEnterprise(opts: EnterpriseOptions & { cacheSize?: number }): Enterprise {
  const asOf = opts.asOf ?? DEFAULT_AS_OF;
  const org = buildOrg(opts.seed, opts.employees);
  const ctx: FactContext = { seed: opts.seed, asOf: dayOf(asOf), org };
  const cache = new LRUCache<string, EmployeeRecord>({ max: opts.cacheSize ?? 4096 });
  const record = (index: number, version: number): EmployeeRecord => {
    const key = `${index}:${version}`;
    let r = cache.get(key);
    if (!r) {
      r = deriveRecord(ctx, factsAt(ctx, index, version), version);
      cache.set(key, r);
    }
    return r;
  };
  return {
    seed: opts.seed, size: opts.employees, asOf, org,
    indexOf(id) {
      if (!/^E\d{6,}$/.test(id)) return -1;
      const index = Number(id.slice(1)) - 1;
      return index >= 0 && index < opts.employees ? index : -1;
    },
    record,
    snapshot: (index, version) => record(index, version).snapshot,
  };
}

function factsAt(ctx: FactContext, index: number, version: number): Facts {
  const f = baseFacts(ctx, index);
  for (let k = 2; k <= version; k++) applyChange(ctx, f, k);
  return f;
}

/**
 * Every employee at version 1, in id order. Deterministic: the same seed gives byte-identical
 * snapshots, whatever the machine, clock or time zone.
 */
export function* generateEmployees(opts: EnterpriseOptions): Generator<EmployeeSnapshot> {
  const org = buildOrg(opts.seed, opts.employees);
  const ctx: FactContext = { seed: opts.seed, asOf: dayOf(opts.asOf ?? DEFAULT_AS_OF), org };
  for (let i = 0; i < opts.employees; i++) yield deriveRecord(ctx, baseFacts(ctx, i), 1).snapshot;
}
