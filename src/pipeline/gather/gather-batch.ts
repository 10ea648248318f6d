import type { Connectors } from '../../connectors/open-connectors.js';
import { CallCounters } from '../../connectors/http/call-counters.js';
import { Semaphore } from '../../connectors/http/semaphore.js';
import { newTraceId } from '../../connectors/http/traceparent.js';
import type { ServiceRecord } from '../../connectors/record-mapper.js';
import type { CallContext, ServiceConnector } from '../../connectors/service-connector.js';
import type { TwoLayerCache } from '../../engines/cache/two-layer-cache.js';
import type { Database } from '../../engines/database/port.js';
import type { SnapshotRow } from '../../engines/database/repositories/gather.js';
import { MAX_CHUNK } from '../../engines/database/repositories/chunk.js';
import type { PiiCipher } from '../../security/pii-cipher.js';
import { VendorflowError } from '../../shared/errors.js';
import type { EmployeeSnapshot, OrgUnit } from '../../shared/snapshot.js';
import { toEmployeeRow } from '../load-employees.js';
import { assembleSnapshot, cachedValuesValid } from './assemble-snapshot.js';
import { chooseFetch } from './choose-fetch.js';
import { collectService, hasAll, type CollectResult, type EarlyRead } from './collect-service.js';
import { emptyTally, type GatherTally } from './gather-tally.js';

export type GatherMode = 'batched' | 'per-employee';

export interface GatherDeps {
  db: Database;
  pii: PiiCipher;
  connectors: Connectors;
  /** Null, or ignored in per-employee mode: no cache at all. */
  cache: TwoLayerCache | null;
}

export interface GatherOptions {
  mode: GatherMode;
  /** Fetch rounds per service for employees still missing or bad. */
  rounds: number;
  /** Re-fetch rounds for services lagging behind an employee's newest version. */
  versionRounds: number;
  versionRetryDelayMs: number;
  /** Per-employee calls in flight per batch (the fallback's bound). */
  perEmployeeConcurrency: number;
  cacheTtlMs: number;
}

export const DEFAULT_GATHER: GatherOptions = {
  mode: 'batched', rounds: 3, versionRounds: 3, versionRetryDelayMs: 100, perEmployeeConcurrency: 64, cacheTtlMs: 24 * 3600_000,
};

export interface BatchGatherResult {
  batchId: string;
  runId: string;
  employees: number;
  complete: number;
  incomplete: number;
  /** Incomplete employees by reason (details in parentheses dropped). */
  reasons: Record<string, number>;
  /** HTTP attempts this batch made (retries included). */
  calls: number;
  /** Per-employee calls the naive path would make for the same employees. */
  naiveCalls: number;
  /** This batch's HTTP attempts by outcome (ok, server_error, rate_limited, circuit_open, ...). */
  outcomes: Record<string, number>;
  tally: GatherTally;
}

interface Cached { version: number; values: Record<string, unknown> }

const cacheKey = (tenantId: string, employeeId: string, service: string, version: number) => `emp:${tenantId}:${employeeId}:${service}:v${version}`;
/** Every cached version of one employee: what an invalidation of that employee removes. */
export const employeeCachePrefix = (tenantId: string, employeeId: string) => `emp:${tenantId}:${employeeId}:`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The endpoints whose data feeds the snapshot (the others exist only for the naive baseline). */
const fieldEndpoints = (c: ServiceConnector) => c.descriptor.perEmployee.filter((e) => Object.keys(e.fields).length > 0);

/**
 * Gathers one planned batch into consistent snapshots and stores them (replacing the batch's earlier
 * rows, so it can be re-run alone any number of times). Every employee of the batch ends with a
 * row: `complete` with its snapshot, or `incomplete` with the reason. It does not change the batch
 * row's status: the caller records the outcome (the job handler under its lease, or gatherRun).
 */
export async function gatherBatch(deps: GatherDeps, batchId: string, options: Partial<GatherOptions> = {}): Promise<BatchGatherResult> {
  const opts = { ...DEFAULT_GATHER, ...options };
  const batch = await deps.db.unitOfWork((r) => r.gather.getBatch(batchId));
  if (!batch) throw new VendorflowError('NOT_FOUND', `no batch ${batchId}`);
  const naive = opts.mode === 'per-employee';
  const cache = naive ? null : deps.cache;
  const unit: OrgUnit = { location: batch.location, department: batch.department };
  const ctx: CallContext = { traceId: newTraceId(), counters: new CallCounters() };
  const tally = emptyTally();
  const perEmployee = new Semaphore(opts.perEmployeeConcurrency);
  const { set, services } = deps.connectors;
  const names = Object.keys(set.services);
  const ids = batch.employeeIds;
  const failures = new Map<string, string>(); // employee -> first reason

  // 0. Services without a version list need nothing from the lists but the unit's members, and
  // those only judge their records: their first batch-form read starts now, beside the lists, and
  // is checked once the lists are in (one round trip less on a batch's longest chain).
  const early = new Map<string, EarlyRead>();
  if (!naive) {
    for (const n of names) {
      const connector = services.get(n)!;
      if (connector.descriptor.versionList) continue;
      const { form } = chooseFetch(connector.descriptor, fieldEndpoints(connector), ids.length, ids.length);
      if (!form) continue;
      const result = connector.fetchForm(form, unit, ids, ctx);
      result.catch(() => {}); // awaited (and its failure handled) by the first round, or dropped unused
      early.set(n, { form, ids: new Set(ids), result });
    }
  }

  // 1. Version lists (batched mode): who is in the unit now, at which versions. A list with
  // malformed entries is asked for again; entries are merged, the newest version kept.
  const lists = new Map<string, Map<string, number>>();
  const listGaps = new Set<string>();
  if (!naive) {
    await Promise.all(names.filter((n) => set.services[n]!.versionList).map(async (n) => {
      const merged = new Map<string, number>();
      try {
        for (let attempt = 0; attempt < opts.rounds; attempt++) {
          const { versions, malformed } = await services.get(n)!.versionList(unit, ctx);
          for (const [id, v] of versions) merged.set(id, Math.max(merged.get(id) ?? 0, v));
          tally.invalidRecords += malformed;
          if (malformed === 0) { listGaps.delete(n); break; }
          listGaps.add(n);
        }
        lists.set(n, merged);
      } catch (e) {
        tally.failedCalls++;
        if (n === set.orgSource.service) for (const id of ids) failures.set(id, `${n}: version list unavailable: ${(e as Error).message}`);
      }
    }));
  }
  const org = set.orgSource.service;
  const orgList = lists.get(org);
  const members = new Set(naive ? ids : orgList?.keys() ?? []);
  if (orgList) {
    for (const id of ids) {
      if (members.has(id)) continue;
      failures.set(id, listGaps.has(org) ? `${org}: malformed version list entry` : `${org}: no longer in unit ${unit.location}/${unit.department}`);
    }
  }
  const wanted = ids.filter((id) => !failures.has(id));

  // 2. Each service: confirmed versions from the cache, the rest over HTTP.
  const records = new Map<string, Map<string, ServiceRecord>>(names.map((n) => [n, new Map()]));
  const fromNetwork = new Map<string, Set<string>>(names.map((n) => [n, new Set()]));
  const serviceFailures = new Map<string, Map<string, string>>(names.map((n) => [n, new Map()]));
  const collect = async (name: string, forIds: string[], minVersion: ReadonlyMap<string, number>): Promise<void> => {
    const connector: ServiceConnector = services.get(name)!;
    const endpoints = naive ? connector.descriptor.perEmployee : fieldEndpoints(connector);
    const first = early.get(name);
    early.delete(name); // good for the first collect only: later ones ask for newer data
    const res: CollectResult = await collectService({
      connector, unit, ids: forIds, members, minVersion, endpoints, useBatchForms: !naive,
      rounds: opts.rounds, perEmployee, ctx, tally, ...(first ? { early: first } : {}),
    });
    for (const [id, r] of res.records) {
      records.get(name)!.set(id, r);
      fromNetwork.get(name)!.add(id);
      serviceFailures.get(name)!.delete(id);
    }
    for (const [id, reason] of res.failed) {
      records.get(name)!.delete(id);
      serviceFailures.get(name)!.set(id, reason);
    }
  };
  await Promise.all(names.map(async (name) => {
    const own = lists.get(name);
    let toFetch = wanted;
    if (cache && own) {
      const wantedEndpoints = fieldEndpoints(services.get(name)!);
      const keyed = wanted.filter((id) => own.has(id));
      const keys = keyed.map((id) => cacheKey(batch.tenantId, id, name, own.get(id)!));
      // The cache only saves calls: unreachable, it counts as a miss and the services answer.
      const hits = await cache.peekMany<Cached>(keys, { ttlMs: opts.cacheTtlMs, l1: false }).catch(() => {
        tally.cacheErrors++;
        return new Map<string, Cached>();
      });
      toFetch = [];
      keyed.forEach((id, i) => {
        const hit = hits.get(keys[i]!);
        const usable = hit && hit.version === own.get(id) && cachedValuesValid(hit.values) && hasAll(hit.values, wantedEndpoints);
        if (usable) records.get(name)!.set(id, { employeeId: id, version: hit.version, values: hit.values });
        else toFetch.push(id);
      });
      toFetch.push(...wanted.filter((id) => !own.has(id)));
      tally.cacheServed += wanted.length - toFetch.length;
      tally.cacheMissed += toFetch.length;
    }
    await collect(name, toFetch, own ?? new Map());
  }));

  // 3. Consistency: every service at the employee's newest version, or re-fetch the laggards.
  const target = new Map<string, number>();
  const computeTargets = () => {
    for (const id of wanted) {
      let t = 0;
      for (const l of lists.values()) t = Math.max(t, l.get(id) ?? 0);
      for (const n of names) t = Math.max(t, records.get(n)!.get(id)?.version ?? 0);
      target.set(id, t);
    }
  };
  const lagging = () => {
    const out = new Map<string, string[]>();
    for (const n of names) {
      const lag = wanted.filter((id) => {
        const r = records.get(n)!.get(id);
        return r && r.version !== 0 && r.version < target.get(id)!;
      });
      if (lag.length) out.set(n, lag);
    }
    return out;
  };
  computeTargets();
  for (let round = 0; round < opts.versionRounds; round++) {
    const lag = lagging();
    if (lag.size === 0) break;
    // A change lands service by service; give the others a moment to catch up.
    await sleep(opts.versionRetryDelayMs * (round + 1));
    await Promise.all([...lag].map(async ([n, lagIds]) => {
      tally.versionRefetches += lagIds.length;
      // Older answers are accepted here (only the service's own list is a floor): the skew check decides.
      await collect(n, lagIds, lists.get(n) ?? new Map());
    }));
    computeTargets();
  }
  for (const [n, lagIds] of lagging()) {
    for (const id of lagIds) {
      if (!failures.has(id)) failures.set(id, `version skew: ${n} at v${records.get(n)!.get(id)!.version}, others at v${target.get(id)} (change in progress)`);
    }
  }

  // 4. Assemble, validate whole, store; cache what was confirmed and fetched.
  const rows: SnapshotRow[] = [];
  const toCache: Array<{ key: string; value: Cached }> = [];
  const reasons: Record<string, number> = {};
  let complete = 0;
  for (const id of ids) {
    let reason = failures.get(id);
    if (!reason) for (const n of names) { reason = serviceFailures.get(n)!.get(id); if (reason) break; }
    let snapshot: EmployeeSnapshot | undefined;
    if (!reason) {
      const assembled = assembleSnapshot(id, target.get(id)!, names.map((n) => records.get(n)!.get(id)!.values));
      if ('snapshot' in assembled) snapshot = assembled.snapshot;
      else reason = assembled.reason;
    }
    if (snapshot) {
      complete++;
      const row = toEmployeeRow(batch.tenantId, snapshot, deps.pii);
      rows.push({ tenantId: batch.tenantId, runId: batch.runId, employeeId: id, batchId, version: snapshot.version, status: 'complete', reason: null, data: row.data, pii: row.pii });
      if (cache) {
        for (const [n, l] of lists) {
          const r = records.get(n)!.get(id)!;
          if (fromNetwork.get(n)!.has(id) && r.version === snapshot.version && l.has(id)) {
            toCache.push({ key: cacheKey(batch.tenantId, id, n, r.version), value: { version: r.version, values: r.values } });
          }
        }
      }
    } else {
      const short = reason!.replace(/ \(.*$/, '');
      reasons[short] = (reasons[short] ?? 0) + 1;
      rows.push({ tenantId: batch.tenantId, runId: batch.runId, employeeId: id, batchId, version: target.get(id) || null, status: 'incomplete', reason: reason!, data: null, pii: null });
    }
  }
  for (let i = 0; i < rows.length; i += MAX_CHUNK) {
    const chunk = rows.slice(i, i + MAX_CHUNK);
    await deps.db.unitOfWork((r) => r.gather.upsertSnapshots(chunk));
  }
  if (cache && toCache.length) await cache.setMany(toCache, { ttlMs: opts.cacheTtlMs, l1: false }).catch(() => { tally.cacheErrors++; });

  const perEmployeeEndpoints = names.reduce((n, s) => n + set.services[s]!.perEmployee.length, 0);
  return {
    batchId, runId: batch.runId, employees: ids.length, complete, incomplete: ids.length - complete, reasons,
    calls: ctx.counters!.sent(), naiveCalls: ids.length * perEmployeeEndpoints, tally,
    outcomes: ctx.counters!.list().reduce<Record<string, number>>((o, c) => ({ ...o, [c.outcome]: (o[c.outcome] ?? 0) + c.count }), {}),
  };
}
