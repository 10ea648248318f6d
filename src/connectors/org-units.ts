import type { UnitMembers } from '../pipeline/plan/plan-run.js';
import { VendorflowError } from '../shared/errors.js';
import { Semaphore } from './http/semaphore.js';
import { mapRecord, NO_FIELDS } from './record-mapper.js';
import type { CallContext, ServiceConnector } from './service-connector.js';

const LIST_ATTEMPTS = 3;

/**
 * The org structure from the org service: its units, then each unit's members from its version
 * list. A version list may carry a stray employee of another unit (bad data): an id listed in two
 * units is settled by asking the service for that employee's own record, so every employee is
 * planned in exactly one unit.
 */
export async function orgUnits(org: ServiceConnector, unitsPath: string, ctx: CallContext): Promise<UnitMembers[]> {
  const res = await org.client.call({ path: unitsPath, endpoint: unitsPath, ...ctx });
  const units = res.body;
  if (!Array.isArray(units) || !units.every((u) => typeof u?.location === 'string' && typeof u?.department === 'string')) {
    throw new VendorflowError('SERVICE_RESPONSE_INVALID', `${org.name} ${unitsPath}: expected a list of {location, department}`);
  }
  const limit = new Semaphore(32);
  const lists = await Promise.all(units.map((u: { location: string; department: string }) => limit.run(async () => {
    const ids = new Set<string>();
    for (let attempt = 0; attempt < LIST_ATTEMPTS; attempt++) {
      const { versions, malformed } = await org.versionList(u, ctx);
      for (const id of versions.keys()) ids.add(id);
      if (malformed === 0) break;
    }
    return { location: u.location, department: u.department, employeeIds: [...ids] };
  })));

  const seen = new Map<string, number>();
  const contested = new Set<string>();
  lists.forEach((l, i) => {
    for (const id of l.employeeIds) {
      if (seen.has(id)) contested.add(id);
      else seen.set(id, i);
    }
  });
  if (contested.size === 0) return lists;
  const home = await Promise.all([...contested].map((id) => limit.run(() => unitOf(org, id, ctx))));
  const owner = new Map([...contested].map((id, i) => [id, home[i]]));
  return lists.map((l) => ({
    ...l,
    employeeIds: l.employeeIds.filter((id) => {
      const h = owner.get(id);
      return h === undefined || (h !== null && h.location === l.location && h.department === l.department);
    }),
  }));
}

/** The employee's unit by the org service's own per-employee record (null when it cannot say). */
async function unitOf(org: ServiceConnector, id: string, ctx: CallContext): Promise<{ location: string; department: string } | null> {
  const { envelope, perEmployee } = org.descriptor;
  const ep = perEmployee.find((e) => 'orgUnit' in e.fields);
  if (!ep || !envelope.location || !envelope.department) return null;
  for (let attempt = 0; attempt < LIST_ATTEMPTS; attempt++) {
    const got = await org.fetchEndpoint(ep, id, ctx);
    if (got.empty) return null;
    const m = mapRecord(got.raw, envelope, NO_FIELDS);
    if (m.ok && m.record.location !== undefined && m.record.department !== undefined) {
      return { location: m.record.location, department: m.record.department };
    }
  }
  return null;
}
