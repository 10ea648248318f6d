import { z } from 'zod';
import { SecretRef } from '../../config/schema.js';

/**
 * Service descriptors: how to reach one internal service and read employee data from it. Data, not
 * code: a YAML file or an object validated by this schema. A field map says which snapshot field
 * (dot path into EmployeeSnapshot, e.g. `person.email`) comes from which place in a response record
 * (a record path, see record-path.ts); the snapshot schema types every mapped field, so the map is
 * also the response schema: a record missing a mapped field, or with one of the wrong shape, is bad.
 */
const FieldSource = z.union([
  z.string().min(1),
  z.object({ path: z.string().min(1), as: z.enum(['value', 'etag-version', 'number', 'nullable']).default('value') }).strict(),
]);
export const FieldMap = z.record(z.string().min(1), FieldSource);
export type FieldMap = z.infer<typeof FieldMap>;

/** Where a record says who it is and at which version. */
const Envelope = z.object({
  employeeId: FieldSource.default('employeeId'),
  version: FieldSource.default('version'),
  /** Record paths of the employee's org unit, when the record carries it (checked against the requested unit). */
  location: FieldSource.optional(),
  department: FieldSource.optional(),
}).strict();

const PerEmployeeEndpoint = z.object({
  name: z.string().min(1),
  /** `{id}` is replaced by the URL-encoded employee id. */
  path: z.string().startsWith('/').includes('{id}'),
  /** Empty: the endpoint exists but feeds nothing in the snapshot (a naive client calls it anyway). */
  fields: FieldMap.default({}),
  /** What a 404 means: the employee has none of this (`empty`, fields become their `emptyValue`) or an error. */
  notFound: z.enum(['error', 'empty']).default('error'),
  /** With `empty`: only a 404 whose body's `error` equals this means "has none" (another 404 is an error). */
  notFoundError: z.string().optional(),
  emptyValue: z.record(z.string(), z.unknown()).default({}),
  /** Response path of the record inside the body ('' = the body itself). */
  record: z.string().default(''),
  /**
   * Call only for employees whose already-gathered snapshot field `field` (a list) has an element
   * matching every key of `has` (e.g. beneficiaries only for supplemental-life holders); the others
   * get `emptyValue` without a call. Naive mode ignores it and calls for everyone.
   */
  onlyIf: z.object({ field: z.string().min(1), has: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])) }).strict().optional(),
}).strict();

const Paging = z.object({
  items: z.string().default('items'),
  nextCursor: z.string().default('nextCursor'),
}).strict();

const BulkByUnit = z.object({
  kind: z.literal('bulk-by-unit'),
  /** Where this form's records say who and which version, when it differs from the service's. */
  envelope: z.lazy(() => Envelope).optional(),
  /** `{location}` and `{department}` are replaced (URL-encoded). Cursor paging via `cursor` / `limit`. */
  path: z.string().startsWith('/'),
  pageSize: z.number().int().positive(),
  paging: Paging.default({ items: 'items', nextCursor: 'nextCursor' }),
  covers: z.array(z.string()).min(1),
  fields: FieldMap,
}).strict();

const BatchGet = z.object({
  kind: z.literal('batch-get'),
  /** Where this form's records say who and which version, when it differs from the service's. */
  envelope: z.lazy(() => Envelope).optional(),
  path: z.string().startsWith('/'),
  maxIds: z.number().int().positive(),
  idsField: z.string().default('ids'),
  items: z.string().default('items'),
  covers: z.array(z.string()).min(1),
  fields: FieldMap,
}).strict();

const ScimFilter = z.object({
  kind: z.literal('scim'),
  /** Where this form's records say who and which version, when it differs from the service's. */
  envelope: z.lazy(() => Envelope).optional(),
  /** Base of the SCIM API, e.g. `/scim/v2`; Users live at `<base>/Users`. */
  basePath: z.string().startsWith('/'),
  count: z.number().int().positive(),
  /** SCIM attribute paths compared with `eq` to the unit's department and location. */
  departmentAttribute: z.string().default('urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department'),
  locationAttribute: z.string().default('addresses[type eq "work"].locality'),
  covers: z.array(z.string()).min(1),
  fields: FieldMap,
}).strict();

export const BatchForm = z.discriminatedUnion('kind', [BulkByUnit, BatchGet, ScimFilter]);
export type BatchForm = z.infer<typeof BatchForm>;

const Tuning = z.object({
  timeoutMs: z.number().int().positive(),
  maxAttempts: z.number().int().min(1).max(20),
  backoffBaseMs: z.number().int().min(0),
  backoffCapMs: z.number().int().min(0),
  maxRateLimitWaits: z.number().int().min(0),
  maxRetryAfterMs: z.number().int().min(0),
  concurrency: z.number().int().positive(),
  breaker: z.object({ failureThreshold: z.number().int().positive(), cooldownMs: z.number().int().min(0) }).strict(),
  replicaEjectAfter: z.number().int().positive(),
  healthIntervalMs: z.number().int().min(0),
  healthPath: z.string().startsWith('/'),
}).partial().strict();

export const ServiceDescriptor = z.object({
  /** Replica base URLs; may be empty here and bound at start-up (the simulators' ports). */
  replicas: z.array(z.url()).default([]),
  /** Auth header sent on every call, its value a secret reference resolved when the client is built. */
  auth: z.object({ header: z.string().min(1), secret: SecretRef, scheme: z.string().optional() }).strict().optional(),
  envelope: Envelope.default({ employeeId: 'employeeId', version: 'version' }),
  /** Per org unit: ids and current versions; what makes this service's data cacheable. */
  versionList: z.object({ path: z.string().startsWith('/'), items: z.string().default('items') }).strict().optional(),
  perEmployee: z.array(PerEmployeeEndpoint).min(1),
  batchForms: z.array(BatchForm).default([]),
  tuning: Tuning.default({}),
}).strict();
export type ServiceDescriptor = z.infer<typeof ServiceDescriptor>;
export type PerEmployeeEndpoint = z.infer<typeof PerEmployeeEndpoint>;

export const DescriptorSet = z.object({
  /** The service whose version list is the org structure (units and their members). */
  orgSource: z.object({ service: z.string(), unitsPath: z.string().startsWith('/').default('/units') }).strict(),
  services: z.record(z.string().regex(/^[a-z][a-z0-9-]*$/), ServiceDescriptor),
}).strict().superRefine((set, ctx) => {
  const org = set.services[set.orgSource.service];
  if (!org) ctx.addIssue({ code: 'custom', path: ['orgSource', 'service'], message: `no service "${set.orgSource.service}"` });
  else if (!org.versionList) ctx.addIssue({ code: 'custom', path: ['orgSource', 'service'], message: 'the org source needs a versionList' });
  for (const [name, s] of Object.entries(set.services)) {
    const endpoints = new Map(s.perEmployee.map((e) => [e.name, e]));
    s.batchForms.forEach((f, i) => {
      for (const c of f.covers) {
        const ep = endpoints.get(c);
        if (!ep) {
          ctx.addIssue({ code: 'custom', path: ['services', name, 'batchForms', i, 'covers'], message: `no per-employee endpoint "${c}"` });
          continue;
        }
        for (const target of Object.keys(ep.fields)) {
          if (!(target in f.fields) && !Object.keys(f.fields).some((k) => k.startsWith(`${target}.`))) {
            ctx.addIssue({ code: 'custom', path: ['services', name, 'batchForms', i, 'fields'], message: `covers "${c}" but does not map "${target}"` });
          }
        }
      }
    });
  }
});
export type DescriptorSet = z.infer<typeof DescriptorSet>;
