import type { BatchForm, PerEmployeeEndpoint } from '../../connectors/descriptors/schema.js';
import type { Semaphore } from '../../connectors/http/semaphore.js';
import { mapRecord, recordEmployeeId, type ServiceRecord } from '../../connectors/record-mapper.js';
import type { CallContext, ServiceConnector } from '../../connectors/service-connector.js';
import type { OrgUnit } from '../../shared/snapshot.js';
import { chooseFetch } from './choose-fetch.js';
import type { GatherTally } from './gather-tally.js';

const MAX_BREAKER_WAIT_MS = 10_000;

export interface CollectInput {
  connector: ServiceConnector;
  unit: OrgUnit;
  ids: readonly string[];
  /** Employees in the unit now (from the org source's version list), for out-of-unit checks. */
  members: ReadonlySet<string>;
  /** A record below this version is stale (an older replica, a lagging copy): not data. */
  minVersion: ReadonlyMap<string, number>;
  /** Endpoints whose data is wanted (naive mode: every endpoint). */
  endpoints: readonly PerEmployeeEndpoint[];
  /** Naive mode uses per-employee calls only. */
  useBatchForms: boolean;
  rounds: number;
  perEmployee: Semaphore;
  ctx: CallContext;
  tally: GatherTally;
  /** A batch-form read started before the caller knew the unit's members: used by the first round if it fits. */
  early?: EarlyRead;
}

/** A read of `form` for `ids`, started ahead of time. */
export interface EarlyRead { form: BatchForm; ids: ReadonlySet<string>; result: Promise<unknown[]> }

interface Part { version: number; skew: Set<number> | null; values: Record<string, unknown> }

export interface CollectResult {
  records: Map<string, ServiceRecord>;
  /** Employees this service could not give good data for, with the last reason. */
  failed: Map<string, string>;
}

/**
 * One service's data for a set of employees: the cheapest form first, then narrower calls for the
 * ones still missing, for a bounded number of rounds. A bad record fails only its own employee; a
 * failed call fails everyone it was for. Records are used whole: one per employee per service,
 * every endpoint agreeing on the version.
 */
export async function collectService(input: CollectInput): Promise<CollectResult> {
  const { connector, unit, tally } = input;
  const svc = connector.name;
  const records = new Map<string, ServiceRecord>();
  const failed = new Map<string, string>();
  let remaining = [...new Set(input.ids)];
  for (let round = 0; round < input.rounds && remaining.length > 0; round++) {
    // An open circuit refuses at once: wait out its cool-down (bounded) so the next round is not
    // refused as well; the half-open probe then decides.
    const wait = round > 0 ? Math.min(connector.client.breaker.retryInMs(), MAX_BREAKER_WAIT_MS) : 0;
    if (wait > 0) await new Promise((r) => setTimeout(r, wait + 10));
    const wanted = new Set(remaining);
    const bad = new Map<string, string>(); // failures seen this round
    const choice = input.useBatchForms
      ? chooseFetch(connector.descriptor, input.endpoints, remaining.length, input.members.size)
      : { form: null, perEmployee: [...input.endpoints], cost: 0 };
    // Per employee: the values gathered so far this round and the version they came at (0: none
    // yet; `skew` lists them all once two records disagree).
    const parts = new Map<string, Part>();
    const part = (id: string) => {
      let p = parts.get(id);
      if (!p) parts.set(id, (p = { version: 0, skew: null, values: {} }));
      return p;
    };
    const accept = (raw: unknown, fields: Parameters<typeof mapRecord>[2], envelope = connector.descriptor.envelope, expectId?: string): void => {
      if (expectId === undefined) {
        // A unit read carries the unit's other employees (another batch's part, or already
        // complete): theirs to judge, not this round's, so they are not even validated here.
        const id = recordEmployeeId(raw, envelope);
        if (typeof id === 'string' && !wanted.has(id) && input.members.has(id)) return;
      }
      const m = mapRecord(raw, envelope, fields);
      if (!m.ok) {
        tally.invalidRecords++;
        const id = m.employeeId ?? expectId;
        if (id && wanted.has(id)) bad.set(id, `${svc}: malformed record (${m.reason})`);
        return;
      }
      const r = m.record;
      if (expectId !== undefined && r.employeeId !== expectId) {
        tally.invalidRecords++;
        bad.set(expectId, `${svc}: answered for another employee`);
        return;
      }
      const movedOut = (r.location !== undefined && r.location !== unit.location) || (r.department !== undefined && r.department !== unit.department);
      if (!input.members.has(r.employeeId) || movedOut) {
        tally.outOfUnitRecords++;
        if (wanted.has(r.employeeId)) bad.set(r.employeeId, `${svc}: record outside the requested unit ${unit.location}/${unit.department}`);
        return;
      }
      if (!wanted.has(r.employeeId)) return; // another part of the unit, or already complete
      const min = input.minVersion.get(r.employeeId);
      if (min !== undefined && r.version < min) {
        tally.staleRecords++;
        bad.set(r.employeeId, `${svc}: stale version ${r.version} (expected at least ${min})`);
        return;
      }
      const p = parts.get(r.employeeId);
      if (!p) {
        parts.set(r.employeeId, { version: r.version, skew: null, values: r.values }); // the record's own object: no copy
        return;
      }
      if (p.version === 0) p.version = r.version;
      else if (p.version !== r.version) (p.skew ??= new Set([p.version])).add(r.version);
      Object.assign(p.values, r.values);
    };

    let formFailed = false;
    if (choice.form) {
      const form = choice.form;
      const early = round === 0 && input.early?.form === form && remaining.every((id) => input.early!.ids.has(id)) ? input.early.result : null;
      try {
        for (const raw of await (early ?? connector.fetchForm(form, unit, remaining, input.ctx))) accept(raw, form.fields, form.envelope ?? connector.descriptor.envelope);
      } catch (e) {
        tally.failedCalls++;
        formFailed = true;
        for (const id of remaining) bad.set(id, `${svc}: ${(e as Error).message}`);
      }
    }
    if (!formFailed && choice.perEmployee.length > 0) {
      // Per-employee calls only for those the form gave (or everyone, without a form); conditional
      // endpoints after the rest, once the field they depend on is known.
      const ids = choice.form ? remaining.filter((id) => parts.has(id)) : remaining;
      const call = (id: string, ep: PerEmployeeEndpoint) => input.perEmployee.run(async () => {
        try {
          const got = await connector.fetchEndpoint(ep, id, input.ctx);
          if (got.empty) Object.assign(part(id).values, ep.emptyValue);
          else accept(got.raw, ep.fields, connector.descriptor.envelope, id);
        } catch (e) {
          tally.failedCalls++;
          bad.set(id, `${svc}: ${(e as Error).message}`);
        }
      });
      const conditional = (ep: PerEmployeeEndpoint) => input.useBatchForms && ep.onlyIf !== undefined;
      await Promise.all(ids.flatMap((id) => choice.perEmployee.filter((ep) => !conditional(ep)).map((ep) => call(id, ep))));
      await Promise.all(ids.flatMap((id) => choice.perEmployee.filter(conditional).map((ep) => {
        if (bad.has(id)) return [];
        const p = part(id);
        const list = p.values[ep.onlyIf!.field];
        if (!Array.isArray(list)) return [];
        if (!list.some((el) => matches(el, ep.onlyIf!.has))) {
          Object.assign(p.values, ep.emptyValue);
          return [];
        }
        return [call(id, ep)];
      }).flat()));
    }

    const next: string[] = [];
    for (const id of remaining) {
      const p = parts.get(id);
      // Bad data taints its employee for the round, even beside a good-looking record.
      if (p && !bad.has(id) && !p.skew && hasAll(p.values, input.endpoints)) {
        // Version 0: only "has none" answers, which claim no version.
        records.set(id, { employeeId: id, version: p.version, values: p.values });
        failed.delete(id);
        continue;
      }
      const skew = p?.skew ? `${svc}: endpoints disagree on the version (${[...p.skew].join(', ')})` : undefined;
      failed.set(id, bad.get(id) ?? skew ?? `${svc}: no record returned`);
      next.push(id);
    }
    remaining = next;
  }
  return { records, failed };
}

/** Every wanted endpoint's fields are present (empty-404 endpoints put their empty value in). */
export function hasAll(values: Record<string, unknown>, endpoints: readonly PerEmployeeEndpoint[]): boolean {
  const keys = Object.keys(values);
  return endpoints.every((ep) => Object.keys(ep.fields).every((t) => t in values || keys.some((k) => k.startsWith(`${t}.`))));
}

function matches(el: unknown, has: Record<string, string | number | boolean>): boolean {
  return el !== null && typeof el === 'object' && Object.entries(has).every(([k, v]) => (el as Record<string, unknown>)[k] === v);
}
