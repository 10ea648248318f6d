import { resolveSecret } from '../config/secrets.js';
import { VendorflowError } from '../shared/errors.js';
import type { OrgSource, UnitMembers } from '../pipeline/plan/plan-run.js';
import type { DescriptorSet } from './descriptors/schema.js';
import { HttpClient, type ServiceTuning } from './http/http-client.js';
import { ServiceConnector } from './service-connector.js';
import { newTraceId } from './http/traceparent.js';
import { orgUnits } from './org-units.js';

export interface Connectors {
  set: DescriptorSet;
  http: HttpClient;
  services: Map<string, ServiceConnector>;
  org: OrgSource;
  close(): Promise<void>;
}

/**
 * Builds one connector per described service over one resilient HTTP client. `urls` binds replica
 * URLs at start-up (the simulators' ports) over those in the descriptors; auth secrets are resolved
 * here, once, and only ever travel as a header.
 */
export function openConnectors(opts: {
  set: DescriptorSet; urls?: Record<string, readonly string[]>; maxInFlight?: number; env?: NodeJS.ProcessEnv;
  /** Laid over every service's descriptor tuning (tests shorten back-offs and cool-downs). */
  tuning?: Partial<ServiceTuning>;
}): Connectors {
  const services: ConstructorParameters<typeof HttpClient>[0]['services'] = {};
  for (const [name, d] of Object.entries(opts.set.services)) {
    const replicas = opts.urls?.[name] ?? d.replicas;
    if (!replicas.length) throw new VendorflowError('CONFIG_INVALID', `config: pipeline.serviceUrls.${name}: no URL for internal service ${name} (bind its replicas there, or in its descriptor's replicas; a demo writes a complete config to <home>/demo/worker.yaml)`);
    const headers: Record<string, string> = {};
    if (d.auth) {
      const secret = resolveSecret(d.auth.secret, opts.env).trim();
      headers[d.auth.header.toLowerCase()] = d.auth.scheme ? `${d.auth.scheme} ${secret}` : secret;
    }
    services[name] = { replicas, headers, tuning: { ...d.tuning, ...opts.tuning } };
  }
  const http = new HttpClient({ services, ...(opts.maxInFlight ? { maxInFlight: opts.maxInFlight } : {}) });
  const connectors = new Map(Object.keys(opts.set.services).map((name) => [name, new ServiceConnector(name, opts.set.services[name]!, http.service(name))]));
  const orgConnector = connectors.get(opts.set.orgSource.service)!;
  return {
    set: opts.set, http, services: connectors,
    org: {
      async *units(traceId = newTraceId()): AsyncIterable<UnitMembers> {
        yield* await orgUnits(orgConnector, opts.set.orgSource.unitsPath, { traceId });
      },
    },
    close: () => http.close(),
  };
}
