import type { BatchForm, PerEmployeeEndpoint, ServiceDescriptor } from '../../connectors/descriptors/schema.js';

export interface FetchChoice {
  /** The batch form to use, or null for per-employee calls only. */
  form: BatchForm | null;
  /** Endpoints still called once per employee (what the form does not cover). */
  perEmployee: PerEmployeeEndpoint[];
  /** Estimated calls. */
  cost: number;
}

/** Calls a form needs for `n` employees of a unit of `unitSize` (bulk and SCIM read the whole unit). */
export function formCost(form: BatchForm, n: number, unitSize: number): number {
  if (form.kind === 'batch-get') return Math.ceil(n / form.maxIds);
  const page = form.kind === 'scim' ? form.count : form.pageSize;
  return Math.max(1, Math.ceil(unitSize / page));
}

/**
 * Pure: the cheapest way to get `needed` endpoints' data for `n` employees: each batch form plus
 * per-employee calls for what it leaves out, against per-employee calls for everything.
 */
export function chooseFetch(d: ServiceDescriptor, needed: readonly PerEmployeeEndpoint[], n: number, unitSize: number): FetchChoice {
  let best: FetchChoice = { form: null, perEmployee: [...needed], cost: n * needed.length };
  if (n === 0 || needed.length === 0) return { ...best, cost: 0 };
  for (const form of d.batchForms) {
    const rest = needed.filter((e) => !form.covers.includes(e.name));
    if (rest.length === needed.length) continue; // covers nothing we need
    const cost = formCost(form, n, Math.max(unitSize, n)) + n * rest.length;
    if (cost < best.cost) best = { form, perEmployee: rest, cost };
  }
  return best;
}
