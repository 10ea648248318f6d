import { randomBytes } from 'node:crypto';
import { request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TEST_REDIS_URL } from '../../../test/support/services.js';
import { createTestDatabase, type TestDatabase } from '../../../test/support/databases.js';
import { loadDescriptorSet } from '../../connectors/descriptors/load-descriptors.js';
import type { DescriptorSet } from '../../connectors/descriptors/schema.js';
import { openConnectors, type Connectors } from '../../connectors/open-connectors.js';
import { openCache, type CacheEngine } from '../../engines/cache/open-cache.js';
import type { SnapshotRow } from '../../engines/database/repositories/gather.js';
import { createPiiCipher, type PiiCipher } from '../../security/pii-cipher.js';
import type { EmployeeSnapshot } from '../../shared/snapshot.js';
import { startSimulators } from '../../sim/index.js';
import { toEmployeeRow } from '../load-employees.js';
import { gatherBatch, type GatherDeps } from './gather-batch.js';
import { gatherRun } from './gather-run.js';

/**
 * Gather over real HTTP against the in-process simulators (no latency), PostgreSQL (one database for
 * the file; every test has its own runs), and real Redis for the cache. Every "equal" below compares what was stored (plain part and the opened sealed part)
 * with the enterprise's own snapshot at the expected version.
 */
type Sim = Awaited<ReturnType<typeof startSimulators>>;
const TENANT = 'acme';
const FAST = { backoffBaseMs: 5, backoffCapMs: 40, breaker: { failureThreshold: 10, cooldownMs: 150 }, healthIntervalMs: 100, timeoutMs: 5000 };
const toClose: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of toClose.splice(0).reverse()) await c().catch(() => {});
});
let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase('postgres');
  await t.db.unitOfWork((r) => r.tenants.ensure({ tenantId: TENANT, name: 'Acme' }));
});
afterAll(() => t?.drop());

interface Env { sim: Sim; t: TestDatabase; pii: PiiCipher; connectors: Connectors; deps: GatherDeps; namespace: string; run(name: string): string }

async function setup(opts: {
  employees: number; replicas?: number; knobs?: Record<string, unknown>; serviceKnobs?: Record<string, Record<string, unknown>>;
  cache?: 'redis' | 'none'; set?: DescriptorSet; maxInFlight?: number;
}): Promise<Env> {
  const sim = await startSimulators({
    employees: opts.employees, seed: 7, replicas: opts.replicas ?? 1,
    knobs: { latencyMs: 0, jitterMs: 0, ...opts.knobs }, ...(opts.serviceKnobs ? { serviceKnobs: opts.serviceKnobs } : {}),
  });
  toClose.push(() => sim.stop());
  const pii = createPiiCipher(randomBytes(32));
  const connectors = openConnectors({ set: opts.set ?? loadDescriptorSet(), urls: sim.services, tuning: FAST, maxInFlight: opts.maxInFlight ?? 64 });
  toClose.push(() => connectors.close());
  const namespace = `vf-test:${randomBytes(6).toString('hex')}:`;
  let cache = null;
  if (opts.cache === 'redis') {
    const engine = await openCache({ engine: 'redis', url: TEST_REDIS_URL, namespace });
    toClose.push(() => dropNamespace(namespace).then(() => engine.close()));
    cache = engine.cache;
  }
  const prefix = randomBytes(4).toString('hex');
  return { sim, t, pii, connectors, namespace, deps: { db: t.db, pii, connectors, cache }, run: (name) => `${prefix}-${name}` };
}

async function dropNamespace(namespace: string): Promise<void> {
  const { createRedisStore } = await import('../../engines/cache/redis-store.js');
  const s = await createRedisStore({ url: TEST_REDIS_URL, namespace });
  await s.deletePrefix('');
  await s.close();
}

async function admin(sim: Sim, service: string, path: string, body: unknown): Promise<any> {
  const res = await request(`${(sim.services as Record<string, string[]>)[service]![0]}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await res.body.text();
  if (res.statusCode >= 300) throw new Error(`admin ${service} ${path}: ${res.statusCode} ${text}`);
  return JSON.parse(text);
}

async function stored(env: Env, runId: string): Promise<SnapshotRow[]> {
  const out: SnapshotRow[] = [];
  for (let after: string | null = null; ;) {
    const page: SnapshotRow[] = await env.t.db.unitOfWork((r) => r.gather.snapshotsPage(runId, after, 1000));
    if (!page.length) return out;
    out.push(...page);
    after = page[page.length - 1]!.employeeId;
  }
}

/** The stored row as comparable plain values: data and the opened sealed part. */
function comparable(env: Env, row: { data: Record<string, unknown> | null; pii: Uint8Array | null }) {
  return { data: row.data, pii: row.pii ? env.pii.open(TENANT, row.pii) : null };
}

function expectEqualsTruth(env: Env, row: SnapshotRow, version: number): void {
  const truth: EmployeeSnapshot = env.sim.enterprise.snapshot(env.sim.enterprise.indexOf(row.employeeId), version);
  expect(row.status).toBe('complete');
  expect(row.version).toBe(version);
  expect(comparable(env, row)).toEqual(comparable(env, toEmployeeRow(TENANT, truth, env.pii)));
}

describe('gather over the simulators', () => {
  it('batched equals naive for every employee at 2,000 employees, with far fewer calls', async () => {
    const env = await setup({ employees: 2000 });
    const batched = await gatherRun(env.deps, { tenantId: TENANT, runId: env.run('r-batched'), mode: 'batched' });
    const naive = await gatherRun(env.deps, { tenantId: TENANT, runId: env.run('r-naive'), mode: 'per-employee', perEmployeeConcurrency: 128 });
    expect(batched).toMatchObject({ employees: 2000, complete: 2000, incomplete: 0 });
    expect(naive).toMatchObject({ employees: 2000, complete: 2000, incomplete: 0 });
    expect(naive.calls).toBeGreaterThanOrEqual(2000 * 18);
    expect(batched.calls).toBeLessThan(naive.calls / 10);
    const a = await stored(env, env.run('r-batched'));
    const b = await stored(env, env.run('r-naive'));
    expect(a).toHaveLength(2000);
    expect(a.map((r) => comparable(env, r))).toEqual(b.map((r) => comparable(env, r)));
    for (const row of a.filter((_, i) => i % 97 === 0)) expectEqualsTruth(env, row, 1);
    // The summary is stored on the run.
    const summary = await env.t.db.unitOfWork((r) => r.gather.runSummary(env.run('r-batched')));
    expect(summary).toMatchObject({ gather: { complete: 2000, callsSavedPct: expect.any(Number) } });
  }, 240_000);

  it('with 5% injected 5xx and 429s the result is complete and equal', async () => {
    // Roles answers 3 calls a second: gather's opening burst alone exceeds it, however slow the machine
    // (at 20 a second a loaded machine never got a 429).
    const env = await setup({ employees: 300, knobs: { errorRate: 0.05 }, serviceKnobs: { roles: { rateLimit: 3 } } });
    const s = await gatherRun(env.deps, { tenantId: TENANT, runId: env.run('r1') });
    expect(s).toMatchObject({ employees: 300, complete: 300, incomplete: 0 });
    expect(s.retries).toBeGreaterThan(0);
    expect(s.rateLimited).toBeGreaterThan(0);
    for (const row of await stored(env, env.run('r1'))) expectEqualsTruth(env, row, 1);
  });

  it('malformed and out-of-unit records make incomplete employees with reasons, never a wrong snapshot', async () => {
    const env = await setup({ employees: 200, serviceKnobs: { payroll: { malformedRate: 0.5 }, hris: { outOfUnitRate: 1 } } });
    const s = await gatherRun(env.deps, { tenantId: TENANT, runId: env.run('r1') });
    expect(s.records.invalidRecords).toBeGreaterThan(0);
    expect(s.records.outOfUnitRecords).toBeGreaterThan(0);
    expect(s.incomplete).toBeGreaterThan(0);
    const rows = await stored(env, env.run('r1'));
    expect(rows).toHaveLength(200);
    for (const row of rows) {
      if (row.status === 'complete') expectEqualsTruth(env, row, 1);
      else {
        expect(row.reason).toMatch(/^payroll: malformed record \(/);
        expect(row.data).toBeNull();
        expect(row.pii).toBeNull();
      }
    }
    // Every employee is planned once, in its own unit, despite the stray ones in the version lists.
    expect(new Set(rows.map((r) => r.employeeId)).size).toBe(200);
  });

  it('one replica killed mid-gather loses nothing', async () => {
    const env = await setup({ employees: 400, replicas: 2, knobs: { latencyMs: 3, jitterMs: 0 } });
    const kills: Array<Promise<unknown>> = [];
    const s = await gatherRun(env.deps, {
      tenantId: TENANT, runId: env.run('r1'), batchConcurrency: 2,
      onBatch: (_r, done) => {
        if (done !== 1) return;
        for (const svc of ['hris', 'payroll', 'elections']) {
          const port = new URL((env.sim.services as Record<string, string[]>)[svc]![1]!).port;
          kills.push(admin(env.sim, svc, `/admin/replicas/${port}/kill`, {}));
        }
      },
    });
    await Promise.all(kills);
    expect(kills).toHaveLength(3);
    expect(env.connectors.http.stats().hris!.healthyReplicas).toBe(1);
    expect(s).toMatchObject({ employees: 400, complete: 400, incomplete: 0 });
    for (const row of await stored(env, env.run('r1'))) expectEqualsTruth(env, row, 1);
  });

  it('a service down for a batch leaves its employees incomplete, recovered when the batch is retried', async () => {
    const env = await setup({ employees: 150 });
    await admin(env.sim, 'payroll', '/admin', { down: true });
    const first = await gatherRun(env.deps, { tenantId: TENANT, runId: env.run('r1') });
    expect(first.complete).toBe(0);
    expect(Object.keys(first.incompleteReasons).every((r) => r.startsWith('payroll: '))).toBe(true);
    expect(first.breakerTrips).toBeGreaterThan(0);
    expect((await stored(env, env.run('r1'))).every((r) => r.status === 'incomplete')).toBe(true);

    await admin(env.sim, 'payroll', '/admin', { down: false });
    await new Promise((r) => setTimeout(r, 200)); // past the breaker's cool-down: the next call is its probe
    const retry = await gatherRun(env.deps, { tenantId: TENANT, runId: env.run('r1'), only: 'unfinished' });
    expect(retry).toMatchObject({ complete: 150, incomplete: 0 });
    const rows = await stored(env, env.run('r1'));
    expect(rows).toHaveLength(150); // replaced, not duplicated
    for (const row of rows) expectEqualsTruth(env, row, 1);
  });

  it('a change landing in one service first never yields a torn snapshot', async () => {
    const env = await setup({ employees: 200 });
    const ids = ['E000003', 'E000050', 'E000120'];
    await admin(env.sim, 'payroll', '/admin/change', { employeeIds: ids, mode: 'torn', service: 'payroll' });
    const s = await gatherRun(env.deps, { tenantId: TENANT, runId: env.run('r1'), versionRetryDelayMs: 10 });
    expect(s.incomplete).toBe(3);
    const rows = await stored(env, env.run('r1'));
    for (const row of rows) {
      if (ids.includes(row.employeeId)) {
        expect(row.status).toBe('incomplete');
        expect(row.reason).toMatch(/^version skew: /);
      } else expectEqualsTruth(env, row, 1);
    }
    await admin(env.sim, 'payroll', '/admin/settle', {});
    await gatherRun(env.deps, { tenantId: TENANT, runId: env.run('r1'), only: 'unfinished' });
    for (const row of await stored(env, env.run('r1'))) expectEqualsTruth(env, row, ids.includes(row.employeeId) ? 2 : 1);
  });

  it('a second gather is served from L2; after a 1% change exactly those are re-fetched and none is stale', async () => {
    const env = await setup({ employees: 400, cache: 'redis' });
    const first = await gatherRun(env.deps, { tenantId: TENANT, runId: env.run('r1') });
    expect(first.records.cacheServed).toBe(0);

    // Another process: its own L1, the same Redis.
    const other = await openCache({ engine: 'redis', url: TEST_REDIS_URL, namespace: env.namespace });
    toClose.push(() => other.close());
    const deps2 = { ...env.deps, cache: other.cache };
    const second = await gatherRun(deps2, { tenantId: TENANT, runId: env.run('r2') });
    const cacheable = second.records.cacheServed + second.records.cacheMissed;
    expect(cacheable).toBe(400 * 2); // hris and leave publish version lists
    expect(second.records.cacheServed / cacheable).toBeGreaterThanOrEqual(0.9);
    expect(second.cache.l2.hitRate).toBeGreaterThanOrEqual(90);
    expect(second.calls).toBeLessThan(first.calls);
    for (const row of await stored(env, env.run('r2'))) expectEqualsTruth(env, row, 1);

    const changed: { employeeIds: string[] } = await admin(env.sim, 'hris', '/admin/change', { share: 0.01, mode: 'all' });
    expect(changed.employeeIds.length).toBeGreaterThan(0);
    const third = await gatherRun(deps2, { tenantId: TENANT, runId: env.run('r3') });
    expect(third.records.cacheMissed).toBe(changed.employeeIds.length * 2);
    expect(third.complete).toBe(400);
    const changedSet = new Set(changed.employeeIds);
    for (const row of await stored(env, env.run('r3'))) expectEqualsTruth(env, row, changedSet.has(row.employeeId) ? 2 : 1);
  });

  it('reads a unit through SCIM 2.0 when that is the cheapest form left', async () => {
    const set = structuredClone(loadDescriptorSet());
    set.services.hris!.batchForms = set.services.hris!.batchForms.filter((f) => f.kind === 'scim');
    const env = await setup({ employees: 250, set });
    const s = await gatherRun(env.deps, { tenantId: TENANT, runId: env.run('r1') });
    expect(s).toMatchObject({ complete: 250, incomplete: 0 });
    const scimCalls = env.connectors.http.counters.total((c) => c.service === 'hris' && c.endpoint.startsWith('/scim/v2/Users'));
    expect(scimCalls).toBeGreaterThan(0);
    for (const row of await stored(env, env.run('r1'))) expectEqualsTruth(env, row, 1);
  });

  it('the parts of a split unit share one read of the unit while it is in flight, each keeping only its own employees', async () => {
    const env = await setup({ employees: 400, knobs: { latencyMs: 30, jitterMs: 0 } });
    const s = await gatherRun(env.deps, { tenantId: TENANT, runId: env.run('r1'), plan: { maxBatchSize: 25 }, batchConcurrency: 32 });
    expect(s).toMatchObject({ employees: 400, complete: 400, incomplete: 0 });
    expect(s.records.invalidRecords + s.records.outOfUnitRecords + s.records.staleRecords).toBe(0);
    const batches = await env.t.db.unitOfWork((r) => r.gather.runBatches(env.run('r1'), null, 1000));
    const units = new Set(batches.map((b) => `${b.location}/${b.department}`));
    expect(batches.length).toBeGreaterThan(units.size);
    const unitReads = env.connectors.http.counters.total((c) => c.service === 'hris' && c.endpoint === '/units/{location}/{department}/employees');
    expect(unitReads).toBeGreaterThanOrEqual(units.size);
    expect(unitReads).toBeLessThan(batches.length);
    const rows = await stored(env, env.run('r1'));
    expect(rows).toHaveLength(400);
    for (const row of rows) expectEqualsTruth(env, row, 1);
  });

  it('one batch re-run alone replaces its rows', async () => {
    const env = await setup({ employees: 120 });
    await gatherRun(env.deps, { tenantId: TENANT, runId: env.run('r1') });
    const batches = await env.t.db.unitOfWork((r) => r.gather.runBatches(env.run('r1'), null, 100));
    const one = batches[0]!;
    const again = await gatherBatch(env.deps, one.batchId);
    expect(again).toMatchObject({ employees: one.employeeIds.length, complete: one.employeeIds.length });
    expect(await stored(env, env.run('r1'))).toHaveLength(120);
  });
});
