import type { OrgUnit } from '../shared/snapshot.js';
import type { BatchForm, PerEmployeeEndpoint, ServiceDescriptor } from './descriptors/schema.js';
import type { CallCounters } from './http/call-counters.js';
import { ServiceCallError, type ServiceClient } from './http/service-client.js';
import { mapRecord, NO_FIELDS } from './record-mapper.js';
import { readPath } from './record-path.js';
import { fetchScimUnit } from './scim-connector.js';

/** Carried by every call of one unit of work: its trace and, optionally, its own call tally. */
export interface CallContext { traceId: string; counters?: CallCounters }

const unitPath = (template: string, unit: OrgUnit) =>
  template.replace('{location}', encodeURIComponent(unit.location)).replace('{department}', encodeURIComponent(unit.department));

/**
 * The REST-descriptor connector: turns a descriptor's forms into HTTP calls and hands back raw
 * records (validation is the caller's, per record). SCIM forms go through scim-connector.ts.
 */
export class ServiceConnector {
  /** Whole-unit reads in flight, shared by the batches (parts) of one unit that ask at the same time. */
  private readonly unitReads = new Map<string, Promise<unknown[]>>();

  constructor(readonly name: string, readonly descriptor: ServiceDescriptor, readonly client: ServiceClient) {}

  private invalid(endpoint: string, what: string): ServiceCallError {
    return new ServiceCallError(this.name, endpoint, 'invalid', `${this.name} ${endpoint}: ${what}`);
  }

  private items(body: unknown, path: string, endpoint: string): unknown[] {
    const items = readPath(body, path);
    if (!Array.isArray(items)) throw this.invalid(endpoint, `no "${path}" list in the response`);
    return items;
  }

  /**
   * The unit's members and their current versions, by this service. Malformed entries are counted,
   * not guessed at: the caller decides whether to ask again.
   */
  async versionList(unit: OrgUnit, ctx: CallContext): Promise<{ versions: Map<string, number>; malformed: number }> {
    const vl = this.descriptor.versionList;
    if (!vl) throw new RangeError(`${this.name} has no version list`);
    const res = await this.client.call({ path: unitPath(vl.path, unit), endpoint: vl.path, ...ctx });
    const versions = new Map<string, number>();
    let malformed = 0;
    for (const it of this.items(res.body, vl.items, vl.path)) {
      const m = mapRecord(it, this.descriptor.envelope, NO_FIELDS);
      if (m.ok) versions.set(m.record.employeeId, m.record.version);
      else malformed++;
    }
    return { versions, malformed };
  }

  /**
   * Raw records for `ids` through a batch form (bulk-by-unit and SCIM return the whole unit). A unit
   * above the batch size is gathered as several batches at once, and they share one read of the
   * unit while it is in flight (a finished read is never reused; a record older than a joining
   * batch's own version list is refused by that batch as stale and fetched again). Shared calls
   * are counted once, on the batch that made them. Records are shared too: callers do not mutate them.
   */
  fetchForm(form: BatchForm, unit: OrgUnit, ids: readonly string[], ctx: CallContext): Promise<unknown[]> {
    if (form.kind === 'batch-get') return this.fetchBatchGet(form, ids, ctx);
    const key = `${form.kind === 'scim' ? form.basePath : form.path}\n${unit.location}\n${unit.department}`;
    let read = this.unitReads.get(key);
    if (!read) {
      read = (form.kind === 'scim' ? fetchScimUnit(this.client, form, unit, ctx) : this.fetchBulk(form, unit, ctx))
        .finally(() => this.unitReads.delete(key));
      this.unitReads.set(key, read);
    }
    return read;
  }

  private async fetchBatchGet(form: Extract<BatchForm, { kind: 'batch-get' }>, ids: readonly string[], ctx: CallContext): Promise<unknown[]> {
    const chunks: string[][] = [];
    for (let i = 0; i < ids.length; i += form.maxIds) chunks.push(ids.slice(i, i + form.maxIds));
    const pages = await Promise.all(chunks.map(async (chunk) => {
      const res = await this.client.call({ method: 'POST', path: form.path, endpoint: form.path, body: { [form.idsField]: chunk }, ...ctx });
      return this.items(res.body, form.items, form.path);
    }));
    return pages.flat();
  }

  private async fetchBulk(form: Extract<BatchForm, { kind: 'bulk-by-unit' }>, unit: OrgUnit, ctx: CallContext): Promise<unknown[]> {
    const out: unknown[] = [];
    let cursor: string | null = null;
    const base = unitPath(form.path, unit);
    for (let page = 0; ; page++) {
      const qs = new URLSearchParams({ limit: String(form.pageSize), ...(cursor ? { cursor } : {}) });
      const res = await this.client.call({ path: `${base}?${qs}`, endpoint: form.path, ...ctx });
      out.push(...this.items(res.body, form.paging.items, form.path));
      const next = readPath(res.body, form.paging.nextCursor);
      if (next === null || next === undefined || next === '') return out;
      if (typeof next !== 'string' && typeof next !== 'number') throw this.invalid(form.path, 'malformed next cursor');
      if (String(next) === cursor || page > 100_000) throw this.invalid(form.path, 'paging does not advance');
      cursor = String(next);
    }
  }

  /** One per-employee endpoint: the raw record, or `empty` when a 404 means "has none". */
  async fetchEndpoint(ep: PerEmployeeEndpoint, employeeId: string, ctx: CallContext): Promise<{ empty: true } | { empty: false; raw: unknown }> {
    const res = await this.client.call({ path: ep.path.replace('{id}', encodeURIComponent(employeeId)), endpoint: ep.path, ...ctx });
    if (res.status === 404) {
      const error = (res.body as { error?: unknown } | null)?.error;
      if (ep.notFound === 'empty' && (ep.notFoundError === undefined || error === ep.notFoundError)) return { empty: true };
      throw new ServiceCallError(this.name, ep.path, 'not_found', `${this.name} ${ep.path}: employee not found`, 404);
    }
    const raw = ep.record ? readPath(res.body, ep.record) : res.body;
    return { empty: false, raw };
  }
}
