import type { EmployeeRecord } from './derive.js';

export const SCIM_USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const SCIM_ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
export const SCIM_HRIS = 'urn:vendorflow:params:scim:schemas:extension:hris:1.0:User';
export const SCIM_LIST = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
export const SCIM_ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';

/** An employee as a SCIM 2.0 User (RFC 7643) with the enterprise extension and our HRIS extension. */
export function toScimUser(r: EmployeeRecord): Record<string, unknown> {
  const s = r.snapshot;
  const p = s.person;
  return {
    schemas: [SCIM_USER, SCIM_ENTERPRISE, SCIM_HRIS],
    id: s.employeeId,
    externalId: s.employeeId,
    userName: p.email,
    name: {
      givenName: p.firstName, ...(p.middleName === null ? {} : { middleName: p.middleName }), familyName: p.lastName,
      formatted: [p.firstName, p.middleName, p.lastName].filter((x) => x !== null).join(' '),
    },
    displayName: `${p.firstName} ${p.lastName}`,
    active: s.employment.status !== 'terminated',
    title: s.employment.jobTitle,
    emails: [{ value: p.email, type: 'work', primary: true }],
    phoneNumbers: [{ value: p.phone, type: 'work' }],
    addresses: [
      { type: 'work', locality: s.orgUnit.location, primary: true },
      {
        type: 'home', streetAddress: s.address.line2 === null ? s.address.line1 : `${s.address.line1}\n${s.address.line2}`,
        locality: s.address.city, region: s.address.state, postalCode: s.address.postalCode, country: s.address.country,
      },
    ],
    [SCIM_ENTERPRISE]: {
      employeeNumber: s.employeeId, department: s.orgUnit.department, organization: s.orgUnit.location,
      ...(r.extras.managerId === null ? {} : { manager: { value: r.extras.managerId } }),
    },
    [SCIM_HRIS]: {
      version: s.version, location: s.orgUnit.location, ssn: p.ssn, dateOfBirth: p.dateOfBirth, gender: p.gender,
      employment: s.employment,
    },
    meta: { resourceType: 'User', version: `W/"${s.version}"`, location: `/scim/v2/Users/${s.employeeId}` },
  };
}

export interface ScimFilter { department?: string; location?: string; id?: string; userName?: string }

export class ScimFilterError extends Error {}

const ATTRIBUTES: Record<string, keyof ScimFilter> = {
  [`${SCIM_ENTERPRISE}:department`.toLowerCase()]: 'department',
  'addresses[typeeq"work"].locality': 'location',
  id: 'id',
  externalid: 'id',
  username: 'userName',
};

/**
 * Parses the subset of RFC 7644 filters the HRIS supports: `attr eq "value"` clauses joined by `and`.
 * Attribute names are case-insensitive; values are JSON strings.
 */
export function parseScimFilter(text: string): ScimFilter {
  const out: ScimFilter = {};
  let i = 0;
  const ws = () => { while (i < text.length && /\s/.test(text[i]!)) i++; };
  const fail = (why: string): never => { throw new ScimFilterError(`${why} at position ${i}`); };
  for (;;) {
    ws();
    const start = i;
    while (i < text.length && !/\s/.test(text[i]!)) {
      if (text[i] === '[') {
        const close = text.indexOf(']', i);
        if (close < 0) fail('unclosed [');
        i = close;
      }
      i++;
    }
    const path = text.slice(start, i).replace(/\s+/g, '').toLowerCase();
    const attr = ATTRIBUTES[path];
    if (!attr) fail(`unsupported attribute "${text.slice(start, i)}"`);
    ws();
    const op = text.slice(i, i + 2).toLowerCase();
    if (op !== 'eq' || !/\s/.test(text[i + 2] ?? '')) fail('only the eq operator is supported');
    i += 2;
    ws();
    if (text[i] !== '"') fail('expected a quoted value');
    let end = i + 1;
    while (end < text.length && text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
    if (end >= text.length) fail('unterminated string');
    let value: string;
    try {
      value = JSON.parse(text.slice(i, end + 1)) as string;
    } catch {
      return fail('bad string');
    }
    i = end + 1;
    if (out[attr!] !== undefined && out[attr!] !== value) fail(`${attr} given twice`);
    out[attr!] = value;
    ws();
    if (i >= text.length) return out;
    if (text.slice(i, i + 3).toLowerCase() !== 'and' || !/\s/.test(text[i + 3] ?? '')) fail('expected "and"');
    i += 3;
  }
}
