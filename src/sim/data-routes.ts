import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { employeeId, type EmployeeRecord } from './derive.js';
import { HttpError } from './http-error.js';
import type { ServiceName } from './knobs.js';
import type { Unit } from './org.js';
import { unitKey } from './org.js';
import * as project from './records.js';
import { parseScimFilter, SCIM_ERROR, SCIM_LIST, ScimFilterError, toScimUser, type ScimFilter } from './scim.js';
import type { ReplicaRef, ServiceHost } from './service-host.js';

type Params = Record<string, string>;
type Query = Record<string, string | undefined>;
type Handler = (req: FastifyRequest) => { status?: number; body: unknown; contentType?: string };

const DEFAULT_PAGE = 500;
const MAX_PAGE = 1000;
const SCIM_DEFAULT_COUNT = 100;
export const BATCH_LIMITS = { roles: 100, elections: 200, leave: 100 } as const;

/**
 * Registers a data route: every call is counted, then meets the service's faults (down, rate limit,
 * latency, slow tail, injected 5xx) before the handler runs.
 */
function dataRoute(app: FastifyInstance, host: ServiceHost, replica: ReplicaRef, method: 'GET' | 'POST', url: string, handler: Handler): void {
  const endpoint = `${method} ${url}`;
  app.route({
    method, url,
    handler: async (req, reply) => {
      const verdict = host.faults.decide();
      if (verdict.delayMs > 0) await sleep(verdict.delayMs);
      void reply.header('x-sim-delay-ms', String(verdict.delayMs));
      let status: number;
      let body: unknown;
      let contentType = 'application/json; charset=utf-8';
      if (verdict.kind === 'fail') {
        status = verdict.status;
        body = { error: status === 429 ? 'rate_limited' : host.faults.knobs.down ? 'down' : 'injected' };
        if (verdict.retryAfterS !== undefined) void reply.header('retry-after', String(verdict.retryAfterS));
      } else {
        try {
          const out = handler(req);
          status = out.status ?? 200;
          body = out.body;
          contentType = out.contentType ?? contentType;
        } catch (e) {
          if (!(e instanceof HttpError)) throw e;
          status = e.status;
          body = e.body;
        }
      }
      host.stats.record(endpoint, status, replica.port);
      return reply.code(status).type(contentType).send(JSON.stringify(body));
    },
  });
}

function employeeIndex(host: ServiceHost, req: FastifyRequest): number {
  const id = (req.params as Params).id ?? '';
  const index = host.enterprise.indexOf(id);
  if (index < 0) throw new HttpError(404, { error: 'not_found', employeeId: id });
  return index;
}

function unitOf(host: ServiceHost, req: FastifyRequest): Unit {
  const p = req.params as Params;
  const unit = host.enterprise.org.unitByKey.get(unitKey(p.location ?? '', p.department ?? ''));
  if (!unit) throw new HttpError(404, { error: 'unit_not_found', location: p.location, department: p.department });
  return unit;
}

function intParam(value: string | undefined, name: string, dflt: number, min: number, max: number): number {
  if (value === undefined || value === '') return dflt;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new HttpError(400, { error: 'bad_parameter', parameter: name, min, max });
  return n;
}

const cursorOf = (offset: number): string => Buffer.from(`o:${offset}`).toString('base64url');
function offsetOf(cursor: string | undefined): number {
  if (!cursor) return 0;
  const m = /^o:(\d+)$/.exec(Buffer.from(cursor, 'base64url').toString());
  if (!m) throw new HttpError(400, { error: 'bad_cursor' });
  return Number(m[1]);
}

/** One page of a unit, with a stray employee added when the out-of-unit knob fires. */
function unitPage(host: ServiceHost, req: FastifyRequest, project: (r: EmployeeRecord) => object) {
  const unit = unitOf(host, req);
  const q = req.query as Query;
  const limit = intParam(q.limit, 'limit', DEFAULT_PAGE, 1, MAX_PAGE);
  const offset = offsetOf(q.cursor);
  const members = host.enterprise.org.members[unit.index]!;
  const end = Math.min(members.length, offset + limit);
  const items: object[] = [];
  for (let k = offset; k < end; k++) items.push(host.maybeBreak(project(host.record(members[k]!))));
  const stray = host.faults.outOfUnit() ? host.strayFrom(unit.index) : null;
  if (stray !== null) items.push(host.maybeBreak(project(host.record(stray))));
  return { body: { items, nextCursor: end < members.length ? cursorOf(end) : null } };
}

function versionList(host: ServiceHost, req: FastifyRequest) {
  const unit = unitOf(host, req);
  const item = (i: number) => host.maybeBreak({ employeeId: employeeId(i), version: host.versions.of(host.name, i) });
  const items = Array.from(host.enterprise.org.members[unit.index]!, item);
  const stray = host.faults.outOfUnit() ? host.strayFrom(unit.index) : null;
  if (stray !== null) items.push(item(stray));
  return { body: { items } };
}

const BatchBody = z.object({ ids: z.array(z.string()) });
function batch(host: ServiceHost, req: FastifyRequest, max: number, project: (r: EmployeeRecord) => object) {
  const parsed = BatchBody.safeParse(req.body);
  if (!parsed.success) throw new HttpError(400, { error: 'bad_body', expected: '{ids: string[]}' });
  const ids = [...new Set(parsed.data.ids)];
  if (ids.length > max) throw new HttpError(400, { error: 'too_many_ids', max });
  const items: object[] = [];
  const notFound: string[] = [];
  for (const id of ids) {
    const index = host.enterprise.indexOf(id);
    if (index < 0) notFound.push(id);
    else items.push(host.maybeBreak(project(host.record(index))));
  }
  return { body: { items, notFound } };
}

function perEmployee(app: FastifyInstance, host: ServiceHost, replica: ReplicaRef, suffix: string, project: (r: EmployeeRecord, asOf: string) => object): void {
  dataRoute(app, host, replica, 'GET', `/employees/:id${suffix}`, (req) => ({
    body: host.maybeBreak(project(host.record(employeeIndex(host, req)), host.enterprise.asOf)),
  }));
}

function scimError(status: number, detail: string, scimType?: string): HttpError {
  return new HttpError(status, { schemas: [SCIM_ERROR], status: String(status), ...(scimType ? { scimType } : {}), detail });
}

/** Employee indexes matching a SCIM filter, in id order. */
function scimMatches(host: ServiceHost, f: ScimFilter): number[] {
  const { org, size } = host.enterprise;
  const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
  let candidates: number[];
  if (f.id !== undefined) {
    const i = host.enterprise.indexOf(f.id);
    candidates = i < 0 ? [] : [i];
  } else if (f.department !== undefined || f.location !== undefined) {
    candidates = org.units
      .filter((u) => (f.department === undefined || same(u.department, f.department)) && (f.location === undefined || same(u.location, f.location)))
      .flatMap((u) => Array.from(org.members[u.index]!))
      .sort((a, b) => a - b);
  } else {
    candidates = Array.from({ length: size }, (_, i) => i);
  }
  return candidates.filter((i) => {
    if (f.id === undefined && f.userName === undefined) return true; // units already chose them
    const s = host.record(i).snapshot;
    return (f.department === undefined || same(s.orgUnit.department, f.department))
      && (f.location === undefined || same(s.orgUnit.location, f.location))
      && (f.userName === undefined || same(s.person.email, f.userName));
  });
}

const SCIM_JSON = 'application/scim+json; charset=utf-8';

function scimRoutes(app: FastifyInstance, host: ServiceHost, replica: ReplicaRef): void {
  dataRoute(app, host, replica, 'GET', '/scim/v2/Users', (req) => {
    const q = req.query as Query;
    let filter: ScimFilter = {};
    if (q.filter) {
      try {
        filter = parseScimFilter(q.filter);
      } catch (e) {
        if (e instanceof ScimFilterError) throw scimError(400, e.message, 'invalidFilter');
        throw e;
      }
    }
    const startIndex = Math.max(1, Number.parseInt(q.startIndex ?? '1', 10) || 1);
    const count = Math.min(MAX_PAGE, Math.max(0, Number.parseInt(q.count ?? String(SCIM_DEFAULT_COUNT), 10) || 0));
    const matches = scimMatches(host, filter);
    const page = matches.slice(startIndex - 1, startIndex - 1 + count);
    const resources = page.map((i) => host.maybeBreak(toScimUser(host.record(i))));
    if (filter.department !== undefined && host.faults.outOfUnit()) {
      const first = matches[0];
      const stray = first === undefined ? null : host.strayFrom(host.enterprise.org.unitOf[first]!);
      if (stray !== null && host.record(stray).snapshot.orgUnit.department.toLowerCase() !== filter.department.toLowerCase()) {
        resources.push(host.maybeBreak(toScimUser(host.record(stray))));
      }
    }
    return {
      contentType: SCIM_JSON,
      body: { schemas: [SCIM_LIST], totalResults: matches.length, startIndex, itemsPerPage: resources.length, Resources: resources },
    };
  });
  dataRoute(app, host, replica, 'GET', '/scim/v2/Users/:id', (req) => {
    const index = host.enterprise.indexOf((req.params as Params).id ?? '');
    if (index < 0) throw scimError(404, 'no such user');
    return { contentType: SCIM_JSON, body: host.maybeBreak(toScimUser(host.record(index))) };
  });
}

/** The data routes of one service (docs/simulators.md lists them). */
export function registerDataRoutes(app: FastifyInstance, host: ServiceHost, replica: ReplicaRef): void {
  const route = (method: 'GET' | 'POST', url: string, h: Handler) => dataRoute(app, host, replica, method, url, h);
  const each = (suffix: string, p: (r: EmployeeRecord, asOf: string) => object) => perEmployee(app, host, replica, suffix, p);
  const services: Record<ServiceName, () => void> = {
    hris: () => {
      route('GET', '/units', () => ({
        body: host.enterprise.org.units.map((u) => ({ location: u.location, department: u.department, size: u.size })),
      }));
      each('', project.hris.core);
      each('/person', project.hris.person);
      each('/address', project.hris.address);
      each('/contact', project.hris.contact);
      route('GET', '/units/:location/:department/employees', (req) => unitPage(host, req, project.hris.record));
      route('GET', '/units/:location/:department/versions', (req) => versionList(host, req));
      scimRoutes(app, host, replica);
    },
    roles: () => {
      each('/roles', project.roles.roles);
      each('/title', project.roles.title);
      each('/manager', project.roles.manager);
      route('POST', '/roles/batch', (req) => batch(host, req, BATCH_LIMITS.roles, project.roles.batch));
    },
    payroll: () => {
      each('/compensation', project.payroll.compensation);
      each('/deductions', project.payroll.deductions);
      each('/paygroup', project.payroll.paygroup);
      each('/tax', project.payroll.tax);
      route('GET', '/units/:location/:department/payroll', (req) => unitPage(host, req, project.payroll.bulk));
    },
    elections: () => {
      each('/elections', project.elections.elections);
      each('/dependents', project.elections.dependents);
      each('/eligibility', project.elections.eligibility);
      route('GET', '/employees/:id/beneficiaries', (req) => {
        const r = host.record(employeeIndex(host, req));
        if (r.snapshot.beneficiaries.length === 0) throw new HttpError(404, { error: 'no_beneficiaries', employeeId: r.snapshot.employeeId });
        return { body: host.maybeBreak(project.elections.beneficiaries(r)) };
      });
      route('POST', '/elections/batch', (req) => batch(host, req, BATCH_LIMITS.elections, project.elections.batch));
    },
    leave: () => {
      each('/leave', project.leave.leave);
      each('/balances', project.leave.balances);
      each('/status', project.leave.status);
      route('GET', '/units/:location/:department/versions', (req) => versionList(host, req));
      route('POST', '/leave/batch', (req) => batch(host, req, BATCH_LIMITS.leave, project.leave.batch));
    },
  };
  services[host.name]();
}
