import { afterEach, describe, expect, it } from 'vitest';
import { EmployeeSnapshot } from '../shared/snapshot.js';
import type { KnobsPatch, ServiceName } from './knobs.js';
import { startSimulators, type Simulators } from './start-simulators.js';
import { call, json, unitPath } from './test-client.js';

const N = 600;
const open: Simulators[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.stop()));
});

async function sims(knobs: KnobsPatch = {}, extra: { replicas?: number; serviceKnobs?: Partial<Record<ServiceName, KnobsPatch>>; seed?: number } = {}) {
  const s = await startSimulators({ employees: N, seed: extra.seed ?? 3, knobs: { latencyMs: 0, jitterMs: 0, ...knobs }, ...extra });
  open.push(s);
  return s;
}
const admin = (url: string, path: string, body: unknown = {}) => json(`${url}${path}`, { body });
const statuses = async (url: string, n: number) => {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push((await call(url)).status);
  return out;
};

describe('simulator knobs', () => {
  it('latency and jitter delay every data call by latency ± jitter, settable at run time', async () => {
    const s = await sims({ latencyMs: 40, jitterMs: 10 });
    const delays: number[] = [];
    for (let i = 0; i < 8; i++) {
      const t0 = performance.now();
      const r = await call(`${s.services.payroll[0]}/employees/E000001/compensation`);
      const elapsed = performance.now() - t0;
      const d = Number(r.headers.get('x-sim-delay-ms'));
      expect(d).toBeGreaterThanOrEqual(30);
      expect(d).toBeLessThanOrEqual(50);
      expect(elapsed).toBeGreaterThanOrEqual(d - 2); // a lower bound only: the wait really happened
      delays.push(d);
    }
    expect(new Set(delays).size).toBeGreaterThan(1);
    await admin(s.services.payroll[0]!, '/admin', { latencyMs: 0, jitterMs: 0 });
    expect((await call(`${s.services.payroll[0]}/employees/E000001/compensation`)).headers.get('x-sim-delay-ms')).toBe('0');
    // Admin routes are never delayed.
    expect((await json(`${s.services.payroll[0]}/admin`)).knobs.latencyMs).toBe(0);
  });

  it('error rate answers that share of calls 5xx, the same way for the same seed', async () => {
    const a = await sims({ errorRate: 0.5 });
    const b = await sims({ errorRate: 0.5 });
    const sa = await statuses(`${a.services.roles[0]}/employees/E000002/title`, 40);
    const sb = await statuses(`${b.services.roles[0]}/employees/E000002/title`, 40);
    expect(sa).toEqual(sb);
    expect(sa.filter((x) => x >= 500).length).toBeGreaterThan(5);
    expect(sa.filter((x) => x === 200).length).toBeGreaterThan(5);
    expect(new Set(sa)).toEqual(new Set([200, 500, 503]));
    await admin(a.services.roles[0]!, '/admin', { errorRate: 1 });
    for (const st of await statuses(`${a.services.roles[0]}/employees/E000002/title`, 10)) expect(st).toBeGreaterThanOrEqual(500);
  });

  it('rate limit answers 429 with Retry-After beyond the rate', async () => {
    const s = await sims({ rateLimit: 2 });
    const replies = [];
    for (let i = 0; i < 12; i++) replies.push(await call(`${s.services.leave[0]}/employees/E000003/status`));
    expect(replies[0]!.status).toBe(200);
    const limited = replies.filter((r) => r.status === 429);
    expect(limited.length).toBeGreaterThan(0);
    for (const r of limited) {
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(r.body).toEqual({ error: 'rate_limited' });
    }
    const stats = await json(`${s.services.leave[0]}/stats`);
    expect(stats.statuses['429']).toBe(limited.length);
  });

  it('slow tail adds slowTailMs to that share of calls', async () => {
    const s = await sims({ slowTailRate: 0.5, slowTailMs: 25 });
    const delays = [];
    for (let i = 0; i < 24; i++) delays.push(Number((await call(`${s.services.hris[0]}/employees/E000004/contact`)).headers.get('x-sim-delay-ms')));
    expect(new Set(delays)).toEqual(new Set([0, 25]));
  });

  it('runs several replicas on different ports serving the same data; kill and restart one', async () => {
    const s = await sims({}, { replicas: 3 });
    const urls = s.services.elections;
    expect(new Set(urls).size).toBe(3);
    const bodies = await Promise.all(urls.map((u) => call(`${u}/employees/E000010/elections`)));
    for (const b of bodies) expect(b.text).toBe(bodies[0]!.text);
    const stats = await json(`${urls[0]}/stats`);
    expect(Object.values(stats.replicas)).toEqual([1, 1, 1]);

    const victim = urls[1]!;
    const port = Number(new URL(victim).port);
    expect(await admin(urls[0]!, `/admin/replicas/${port}/kill`)).toEqual({ port, up: false });
    await expect(fetch(`${victim}/health`)).rejects.toThrow();
    expect((await call(`${urls[2]}/employees/E000010/elections`)).status).toBe(200);
    const state = await json(`${urls[0]}/admin`);
    expect(state.replicas.map((r: { up: boolean }) => r.up)).toEqual([true, false, true]);
    expect(await admin(urls[2]!, `/admin/replicas/${port}/restart`)).toEqual({ port, up: true });
    expect((await call(`${victim}/employees/E000010/elections`)).text).toBe(bodies[0]!.text);
    // A replica can be told to kill itself: it answers first.
    expect(await admin(victim, `/admin/replicas/${port}/kill`)).toEqual({ port, up: false });
    await expect(fetch(`${victim}/health`)).rejects.toThrow();
    expect((await call(`${urls[0]}/admin/replicas/1/kill`, { body: {} })).status).toBe(404);
  });

  it('malformed rate breaks a required field in that share of records', async () => {
    const s = await sims({ malformedRate: 1 });
    const one = await json(`${s.services.payroll[0]}/employees/E000005/compensation`);
    expect(one.employeeId).toBe('E000005');
    expect(one.version === undefined || one.version === null || one.compensation === undefined || one.compensation === null).toBe(true);
    const unit = (await json(`${s.services.hris[0]}/units`))[0];
    const page = await json(`${s.services.hris[0]}${unitPath(unit)}/employees?limit=20`);
    const Record = EmployeeSnapshot.pick({ employeeId: true, version: true, orgUnit: true, employment: true, person: true, address: true });
    for (const item of page.items) expect(Record.safeParse(item).success).toBe(false);
    await admin(s.services.hris[0]!, '/admin', { malformedRate: 0 });
    const clean = await json(`${s.services.hris[0]}${unitPath(unit)}/employees?limit=20`);
    for (const item of clean.items) expect(Record.safeParse(item).success).toBe(true);
  });

  it('out-of-unit rate slips an employee of another unit into unit-scoped bulk responses', async () => {
    const s = await sims({ outOfUnitRate: 1 });
    const units: Array<{ location: string; department: string; size: number }> = await json(`${s.services.hris[0]}/units`);
    const unit = units.find((u) => u.size >= 3)!;
    const page = await json(`${s.services.hris[0]}${unitPath(unit)}/employees?limit=1000`);
    expect(page.items.length).toBe(unit.size + 1);
    const strays = page.items.filter((x: any) => x.orgUnit.location !== unit.location || x.orgUnit.department !== unit.department);
    expect(strays.length).toBe(1);
    const pay = await json(`${s.services.payroll[0]}${unitPath(unit)}/payroll`);
    expect(pay.items.length).toBe(unit.size + 1);
    const versions = await json(`${s.services.leave[0]}${unitPath(unit)}/versions`);
    expect(versions.items.length).toBe(unit.size + 1);
    const members = new Set(page.items.slice(0, unit.size).map((x: any) => x.employeeId));
    expect(members.has(versions.items.at(-1).employeeId)).toBe(false);
  });

  it('down answers 503 everywhere but admin; knobs also apply per service at start', async () => {
    const s = await sims({}, { serviceKnobs: { payroll: { down: true } } });
    expect((await call(`${s.services.payroll[0]}/employees/E000001/tax`)).status).toBe(503);
    expect((await call(`${s.services.payroll[0]}/health`)).status).toBe(503);
    expect((await call(`${s.services.hris[0]}/employees/E000001`)).status).toBe(200);
    await admin(s.services.payroll[0]!, '/admin', { down: false });
    expect((await call(`${s.services.payroll[0]}/employees/E000001/tax`)).status).toBe(200);
    expect((await call(`${s.services.payroll[0]}/admin`, { body: { latencyMs: -1 } })).status).toBe(400);
    expect((await call(`${s.services.payroll[0]}/admin`, { body: { bogus: 1 } })).status).toBe(400);
  });

  it('changes bump versions in every service at once, or torn: one service first until settled', async () => {
    const s = await sims();
    const ids = ['E000007', 'E000008'];
    const index = s.enterprise.indexOf('E000007');
    expect(await admin(s.services.hris[0]!, '/admin/change', { employeeIds: ids, mode: 'all' })).toEqual({ mode: 'all', changed: 2, employeeIds: ids });
    const v2 = s.enterprise.snapshot(index, 2);
    expect((await json(`${s.services.payroll[0]}/employees/E000007/compensation`)).compensation).toEqual(v2.compensation);
    for (const [svc, path] of [['hris', ''], ['roles', '/roles'], ['elections', '/dependents'], ['leave', '/leave']] as const) {
      expect((await json(`${s.services[svc][0]}/employees/E000007${path}`)).version).toBe(2);
    }

    await admin(s.services.hris[0]!, '/admin/change', { employeeIds: ['E000007'], mode: 'torn', service: 'payroll' });
    expect((await json(`${s.services.payroll[0]}/employees/E000007/compensation`))).toEqual({ employeeId: 'E000007', version: 3, compensation: s.enterprise.snapshot(index, 3).compensation });
    expect((await json(`${s.services.hris[0]}/employees/E000007`)).version).toBe(2);
    expect((await json(`${s.services.hris[0]}/admin`)).pendingTorn).toBe(1);
    expect(await admin(s.services.leave[0]!, '/admin/settle')).toEqual({ settled: 1 });
    expect((await json(`${s.services.hris[0]}/employees/E000007`)).version).toBe(3);
    const unit = s.enterprise.snapshot(index, 3).orgUnit;
    const list = await json(`${s.services.hris[0]}${unitPath(unit)}/versions`);
    expect(list.items.find((x: any) => x.employeeId === 'E000007').version).toBe(3);

    // A share of everyone, chosen by the seed: the same employees in two runs.
    const other = await sims();
    const a = await admin(s.services.roles[0]!, '/admin/change', { share: 0.05, mode: 'all' });
    const b = await admin(other.services.roles[0]!, '/admin/change', { share: 0.05, mode: 'all' });
    expect(a.changed).toBe(30);
    expect(a.employeeIds).toEqual(b.employeeIds);
    expect((await call(`${s.services.roles[0]}/admin/change`, { body: { mode: 'all' } })).status).toBe(400);
    expect((await call(`${s.services.roles[0]}/admin/change`, { body: { employeeIds: ['E999999'], mode: 'all' } })).status).toBe(400);
  });

  it('stats count calls per endpoint and status, and reset', async () => {
    const s = await sims();
    const h = s.services.hris[0]!;
    await call(`${h}/employees/E000001`);
    await call(`${h}/employees/E000002`);
    await call(`${h}/employees/E000002/person`);
    await call(`${h}/employees/E999999/person`);
    await call(`${h}/health`);
    const stats = await json(`${h}/stats`);
    expect(stats).toMatchObject({
      service: 'hris', total: 4, statuses: { 200: 3, 404: 1 },
      endpoints: { 'GET /employees/:id': 2, 'GET /employees/:id/person': 2 },
    });
    await admin(h, '/admin/stats/reset');
    expect((await json(`${h}/stats`)).total).toBe(0);
  });
});
