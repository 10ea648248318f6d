import type { BatchForm } from './descriptors/schema.js';
import type { CallCounters } from './http/call-counters.js';
import { ServiceCallError, type ServiceClient } from './http/service-client.js';
import type { OrgUnit } from '../shared/snapshot.js';

type ScimForm = Extract<BatchForm, { kind: 'scim' }>;

const LIST_RESPONSE = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';

/** A SCIM string literal (RFC 7644 §3.4.2.2: JSON string rules). */
export function scimString(value: string): string {
  return JSON.stringify(value);
}

/** `<department attr> eq "D" and <location attr> eq "L"`: the unit as a SCIM filter. */
export function scimUnitFilter(form: ScimForm, unit: OrgUnit): string {
  return `${form.departmentAttribute} eq ${scimString(unit.department)} and ${form.locationAttribute} eq ${scimString(unit.location)}`;
}

/**
 * Every user of a unit through SCIM 2.0 filtering, paged with `startIndex` (1-based) and `count`
 * until `totalResults` is reached or a page comes back empty. A body that is not a ListResponse is
 * an invalid answer.
 */
export async function fetchScimUnit(client: ServiceClient, form: ScimForm, unit: OrgUnit, ctx: { traceId: string; counters?: CallCounters }): Promise<unknown[]> {
  const filter = scimUnitFilter(form, unit);
  const endpoint = `${form.basePath}/Users?filter`;
  const out: unknown[] = [];
  let startIndex = 1;
  for (;;) {
    const qs = new URLSearchParams({ filter, startIndex: String(startIndex), count: String(form.count) });
    const res = await client.call({ path: `${form.basePath}/Users?${qs}`, endpoint, ...ctx });
    const body = res.body as { schemas?: unknown; totalResults?: unknown; Resources?: unknown; itemsPerPage?: unknown } | null;
    const resources = body?.Resources ?? [];
    if (!body || !Array.isArray(body.schemas) || !body.schemas.includes(LIST_RESPONSE)
      || typeof body.totalResults !== 'number' || !Array.isArray(resources)) {
      throw new ServiceCallError(client.opts.service, endpoint, 'invalid', `${client.opts.service} ${endpoint}: not a SCIM ListResponse`);
    }
    out.push(...resources);
    startIndex += resources.length;
    if (resources.length === 0 || startIndex > body.totalResults) return out;
  }
}
