import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmployeeSnapshot } from '../shared/snapshot.js';
import { generateEmployees } from './enterprise.js';
import { SCIM_ENTERPRISE, SCIM_HRIS } from './scim.js';
import { startSimulators, type Simulators } from './start-simulators.js';
import { call, json, unitPath } from './test-client.js';

const N = 1500;
const SEED = 11;

/** The snapshot a naive client assembles from the ~20 per-employee routes. */
async function assemble(s: Simulators['services'], id: string): Promise<EmployeeSnapshot> {
  const get = (svc: keyof typeof s, path: string) => json(`${s[svc][0]}/employees/${id}${path}`);
  const [core, person, address, contact, roles, comp, deds, elections, deps, elig, leave] = await Promise.all([
    get('hris', ''), get('hris', '/person'), get('hris', '/address'), get('hris', '/contact'), get('roles', '/roles'),
    get('payroll', '/compensation'), get('payroll', '/deductions'), get('elections', '/elections'),
    get('elections', '/dependents'), get('elections', '/eligibility'), get('leave', '/leave'),
  ]);
  const hasSupp = elections.elections.some((e: { planType: string }) => e.planType === 'supp_life');
  const ben = await call(`${s.elections[0]}/employees/${id}/beneficiaries`);
  expect(ben.status).toBe(hasSupp ? 200 : 404);
  for (const part of [core, person, address, contact, roles, comp, deds, elections, deps, elig, leave]) expect(part.employeeId).toBe(id);
  return EmployeeSnapshot.parse({
    employeeId: id, version: core.version, orgUnit: core.orgUnit,
    person: { ...person.person, email: contact.email, phone: contact.phone }, address: address.address,
    employment: core.employment, compensation: comp.compensation, roleHistory: roles.roleHistory,
    deductions: deds.deductions, dependents: deps.dependents, elections: elections.elections,
    beneficiaries: hasSupp ? ben.body.beneficiaries : [], eligibility: elig.eligibility, leave: leave.leave,
  });
}

/** A SCIM user mapped back to the HRIS bulk record. */
function fromScim(u: any) {
  const hris = u[SCIM_HRIS];
  const [line1, line2] = (u.addresses.find((a: any) => a.type === 'home').streetAddress as string).split('\n');
  const home = u.addresses.find((a: any) => a.type === 'home');
  return {
    employeeId: u.id, version: hris.version,
    orgUnit: { location: u.addresses.find((a: any) => a.type === 'work').locality, department: u[SCIM_ENTERPRISE].department },
    employment: hris.employment,
    person: {
      firstName: u.name.givenName, middleName: u.name.middleName ?? null, lastName: u.name.familyName, ssn: hris.ssn,
      dateOfBirth: hris.dateOfBirth, gender: hris.gender, email: u.emails[0].value, phone: u.phoneNumbers[0].value,
    },
    address: { line1, line2: line2 ?? null, city: home.locality, state: home.region, postalCode: home.postalCode, country: home.country },
  };
}

const hrisRecord = (e: EmployeeSnapshot) => ({
  employeeId: e.employeeId, version: e.version, orgUnit: e.orgUnit, employment: e.employment, person: e.person, address: e.address,
});

describe('simulators over HTTP', () => {
  let sim: Simulators;
  const truth = [...generateEmployees({ seed: SEED, employees: N })];
  beforeAll(async () => {
    sim = await startSimulators({ employees: N, seed: SEED, knobs: { latencyMs: 0, jitterMs: 0 } });
  });
  afterAll(() => sim?.stop());

  it('publishes the org units, whose sizes add up to the enterprise', async () => {
    const units: Array<{ location: string; department: string; size: number }> = await json(`${sim.services.hris[0]}/units`);
    expect(units.reduce((s, u) => s + u.size, 0)).toBe(N);
    expect(units.some((u) => u.department.includes('&'))).toBe(true);
  });

  it('assembles from per-employee routes exactly the snapshot the generator makes', async () => {
    const picks = [0, 1, 2, N - 1, truth.findIndex((e) => e.beneficiaries.length > 0), truth.findIndex((e) => e.employment.status === 'terminated'),
      truth.findIndex((e) => e.employment.status === 'leave')];
    for (const i of picks) {
      expect(i).toBeGreaterThanOrEqual(0);
      expect(await assemble(sim.services, truth[i]!.employeeId)).toEqual(truth[i]);
    }
  });

  it('serves the same employee identically through bulk, batch-get, SCIM and version lists', async () => {
    const units: Array<{ location: string; department: string; size: number }> = await json(`${sim.services.hris[0]}/units`);
    const unit = units.find((u) => u.department.includes('&') && u.size > 12) ?? units.find((u) => u.size > 12)!;
    const expected = truth.filter((e) => e.orgUnit.location === unit.location && e.orgUnit.department === unit.department);
    expect(expected.length).toBe(unit.size);

    // HRIS bulk, paged.
    const bulk: any[] = [];
    for (let cursor: string | null = ''; cursor !== null;) {
      const page: any = await json(`${sim.services.hris[0]}${unitPath(unit)}/employees?limit=5${cursor ? `&cursor=${cursor}` : ''}`);
      bulk.push(...page.items);
      cursor = page.nextCursor;
    }
    expect(bulk).toEqual(expected.map(hrisRecord));

    // Payroll bulk.
    const pay = await json(`${sim.services.payroll[0]}${unitPath(unit)}/payroll?limit=1000`);
    expect(pay.nextCursor).toBeNull();
    expect(pay.items).toEqual(expected.map((e) => ({ employeeId: e.employeeId, version: 1, compensation: e.compensation, deductions: e.deductions, payGroup: e.employment.payGroup })));

    // SCIM, filtered by department and work location, paged with startIndex/count.
    const filter = encodeURIComponent(`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "${unit.department}" and addresses[type eq "work"].locality eq "${unit.location}"`);
    const scim: any[] = [];
    for (let start = 1; ; start += 4) {
      const r = await call(`${sim.services.hris[0]}/scim/v2/Users?filter=${filter}&startIndex=${start}&count=4`);
      expect(r.headers.get('content-type')).toContain('application/scim+json');
      expect(r.body.totalResults).toBe(unit.size);
      scim.push(...r.body.Resources);
      if (r.body.Resources.length < 4) break;
    }
    expect(scim.map(fromScim)).toEqual(expected.map(hrisRecord));
    const one = await json(`${sim.services.hris[0]}/scim/v2/Users/${expected[0]!.employeeId}`);
    expect(fromScim(one)).toEqual(hrisRecord(expected[0]!));
    const byId = await json(`${sim.services.hris[0]}/scim/v2/Users?filter=${encodeURIComponent(`id eq "${expected[1]!.employeeId}"`)}`);
    expect(byId.Resources.map(fromScim)).toEqual([hrisRecord(expected[1]!)]);

    // Batch-gets.
    const ids = expected.map((e) => e.employeeId);
    const roles = await json(`${sim.services.roles[0]}/roles/batch`, { body: { ids: [...ids, 'E999999'] } });
    expect(roles.notFound).toEqual(['E999999']);
    expect(roles.items.map((x: any) => [x.employeeId, x.roleHistory, x.title])).toEqual(expected.map((e) => [e.employeeId, e.roleHistory, e.employment.jobTitle]));
    const el = await json(`${sim.services.elections[0]}/elections/batch`, { body: { ids } });
    expect(el.items).toEqual(expected.map((e) => ({ employeeId: e.employeeId, version: 1, elections: e.elections, dependents: e.dependents, eligibility: e.eligibility })));
    const lv = await json(`${sim.services.leave[0]}/leave/batch`, { body: { ids } });
    expect(lv.items.map((x: any) => [x.employeeId, x.leave, x.status])).toEqual(expected.map((e) => [e.employeeId, e.leave, e.employment.status]));

    // Version lists of both services that have one.
    for (const svc of ['hris', 'leave'] as const) {
      const v = await json(`${sim.services[svc][0]}${unitPath(unit)}/versions`);
      expect(v.items).toEqual(ids.map((employeeId) => ({ employeeId, version: 1 })));
    }
  });

  it('rejects what a real service rejects', async () => {
    const h = sim.services.hris[0]!;
    expect((await call(`${h}/employees/E999999`)).status).toBe(404);
    expect((await call(`${h}/employees/nope/person`)).status).toBe(404);
    expect((await call(`${h}/units/Nowhere/Nothing/employees`)).status).toBe(404);
    expect((await call(`${h}/units/Chicago/Engineering/employees?limit=5000`)).status).toBe(400);
    expect((await call(`${h}/units/Chicago/Engineering/employees?cursor=zzz`)).status).toBe(400);
    const bad = await call(`${h}/scim/v2/Users?filter=${encodeURIComponent('title co "x"')}`);
    expect(bad.status).toBe(400);
    expect(bad.body.scimType).toBe('invalidFilter');
    const ids = Array.from({ length: 101 }, (_, i) => `E${String(i + 1).padStart(6, '0')}`);
    const tooMany = await call(`${sim.services.roles[0]}/roles/batch`, { body: { ids } });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body).toEqual({ error: 'too_many_ids', max: 100 });
    expect((await call(`${sim.services.elections[0]}/elections/batch`, { body: { ids: [...ids, ...ids.map((x) => x.replace('E0', 'E1'))] } })).status).toBe(400);
    expect((await call(`${sim.services.elections[0]}/elections/batch`, { body: { ids: ids.slice(0, 100) } })).status).toBe(200);
  });

  it('gives byte-identical responses in two runs with the same seed', async () => {
    const other = await startSimulators({ employees: N, seed: SEED, knobs: { latencyMs: 0, jitterMs: 0 } });
    try {
      for (const path of ['/units', '/units/Chicago/Engineering/employees?limit=50', '/scim/v2/Users?count=20', '/employees/E000777/person']) {
        const [a, b] = await Promise.all([call(`${sim.services.hris[0]}${path}`), call(`${other.services.hris[0]}${path}`)]);
        expect(a.status).toBe(200);
        expect(b.text).toBe(a.text);
      }
    } finally {
      await other.stop();
    }
  });
});
