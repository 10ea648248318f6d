import { VendorflowError } from '../../shared/errors.js';
import { CallCounters } from './call-counters.js';
import { Semaphore } from './semaphore.js';
import { ServiceClient, type ServiceClientOptions, type ServiceClientStats } from './service-client.js';

export type ServiceTuning = Omit<ServiceClientOptions, 'service' | 'replicas' | 'headers'>;

export const DEFAULT_TUNING: ServiceTuning = {
  timeoutMs: 30_000, // a unit's bulk page is ~2 MB of JSON; a busy service takes a while to build it
  maxAttempts: 4,
  backoffBaseMs: 50,
  backoffCapMs: 2_000,
  maxRateLimitWaits: 20,
  maxRetryAfterMs: 30_000,
  concurrency: 64,
  breaker: { failureThreshold: 10, cooldownMs: 2_000 },
  replicaEjectAfter: 3,
  healthIntervalMs: 1_000,
  healthPath: '/health',
};

export interface HttpClientOptions {
  services: Record<string, { replicas: readonly string[]; headers?: Record<string, string>; tuning?: Partial<ServiceTuning> }>;
  /** One limit on calls in flight across every service (the benchmark's 256). */
  maxInFlight?: number;
}

/** The resilient client for every internal service of a tenant: one `ServiceClient` per service. */
export class HttpClient {
  readonly counters = new CallCounters();
  private readonly clients = new Map<string, ServiceClient>();

  constructor(opts: HttpClientOptions) {
    const inFlight = opts.maxInFlight ? new Semaphore(opts.maxInFlight) : undefined;
    for (const [service, s] of Object.entries(opts.services)) {
      const tuning = { ...DEFAULT_TUNING, ...s.tuning, breaker: { ...DEFAULT_TUNING.breaker, ...s.tuning?.breaker } };
      this.clients.set(service, new ServiceClient({ ...tuning, service, replicas: s.replicas, headers: s.headers ?? {} }, this.counters, inFlight));
    }
  }

  service(name: string): ServiceClient {
    const c = this.clients.get(name);
    if (!c) throw new VendorflowError('INTERNAL', `no client configured for service "${name}"`);
    return c;
  }

  stats(): Record<string, ServiceClientStats> {
    return Object.fromEntries([...this.clients].map(([name, c]) => [name, c.stats()]));
  }

  async close(): Promise<void> {
    await Promise.all([...this.clients.values()].map((c) => c.close()));
  }
}
