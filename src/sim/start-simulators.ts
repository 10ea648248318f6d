import Fastify, { type FastifyInstance } from 'fastify';
import { createEnterprise, employeeId, type Enterprise } from './enterprise.js';
import { registerAdminRoutes, type SimulatorControl } from './admin-routes.js';
import { registerDataRoutes } from './data-routes.js';
import { FaultInjector } from './faults.js';
import { SERVICE_NAMES, type KnobsPatch, type ServiceName } from './knobs.js';
import { mix, Rng } from './prng.js';
import { ServiceHost, type ReplicaRef } from './service-host.js';
import { ServiceStats } from './stats.js';
import { VersionBook } from './versions.js';

export interface SimulatorOptions {
  employees?: number;
  seed?: number;
  /** Day the enterprise data describes (YYYY-MM-DD). */
  asOf?: string;
  host?: string;
  /** 0 = ephemeral ports; otherwise service i replica r listens on portBase + i × replicas + r. */
  portBase?: number;
  replicas?: number;
  /** Knobs of every service. */
  knobs?: KnobsPatch;
  /** Per-service knobs, over `knobs`. */
  serviceKnobs?: Partial<Record<ServiceName, KnobsPatch>>;
}

export type ServiceUrls = Record<ServiceName, string[]>;

export interface Simulators {
  services: ServiceUrls;
  enterprise: Enterprise;
  versions: VersionBook;
  stop(): Promise<void>;
}

export const DEFAULT_EMPLOYEES = 50_000;
export const DEFAULT_SEED = 42;

interface Replica { port: number; app: FastifyInstance | null }

/**
 * Starts the five internal-service simulators in this process (tests); `spawnSimulators` runs the
 * same thing in a child process. All services share one synthetic enterprise and one version book.
 */
export async function startSimulators(opts: SimulatorOptions = {}): Promise<Simulators> {
  const seed = opts.seed ?? DEFAULT_SEED;
  const employees = opts.employees ?? DEFAULT_EMPLOYEES;
  const hostName = opts.host ?? '127.0.0.1';
  const replicaCount = opts.replicas ?? 1;
  if (!Number.isInteger(replicaCount) || replicaCount < 1) throw new RangeError('replicas must be a positive whole number');
  const enterprise = createEnterprise({ seed, employees, ...(opts.asOf ? { asOf: opts.asOf } : {}) });
  const versions = new VersionBook(employees);
  const hosts = new Map<ServiceName, ServiceHost>(SERVICE_NAMES.map((name, i) => [name, new ServiceHost(
    name, enterprise, versions,
    new FaultInjector(mix(seed, i, 0xfa17), { ...opts.knobs, ...opts.serviceKnobs?.[name] }),
    new ServiceStats(),
  )]));
  const replicas = new Map<ServiceName, Replica[]>(SERVICE_NAMES.map((s) => [s, []]));
  const urlOf = (port: number) => `http://${hostName.includes(':') ? `[${hostName}]` : hostName}:${port}`;
  let changeCount = 0;

  const control: SimulatorControl = {
    change({ employeeIds, share, mode, service }) {
      let indexes: number[];
      if (employeeIds) {
        indexes = employeeIds.map((id) => {
          const i = enterprise.indexOf(id);
          if (i < 0) throw new Error(`unknown employee ${id}`);
          return i;
        });
      } else {
        indexes = sample(new Rng(mix(seed, 0xc4a9, ++changeCount)), employees, Math.round((share ?? 0) * employees));
      }
      versions.change(indexes, mode, service);
      return { changed: indexes.length, employeeIds: indexes.map(employeeId) };
    },
    settle: () => versions.settle(),
    pendingTorn: () => versions.pendingCount,
    replicas: (service) => replicas.get(service)!.map((r) => ({ port: r.port, url: urlOf(r.port), up: r.app !== null })),
    async kill(service, port) {
      const r = replicas.get(service)!.find((x) => x.port === port);
      if (!r?.app) return false;
      const app = r.app;
      r.app = null;
      const closing = app.close();
      app.server.closeAllConnections();
      await closing;
      return true;
    },
    async restart(service, port) {
      const r = replicas.get(service)!.find((x) => x.port === port);
      if (!r) return false;
      if (!r.app) r.app = await listen(service, port);
      return true;
    },
  };

  async function listen(service: ServiceName, port: number): Promise<FastifyInstance> {
    const app = Fastify({ logger: false, forceCloseConnections: true, bodyLimit: 4 * 1024 * 1024 });
    const ref: ReplicaRef = { port };
    registerDataRoutes(app, hosts.get(service)!, ref);
    registerAdminRoutes(app, hosts.get(service)!, ref, control);
    await app.listen({ host: hostName, port });
    ref.port = (app.server.address() as { port: number }).port;
    return app;
  }

  try {
    for (const [i, service] of SERVICE_NAMES.entries()) {
      for (let r = 0; r < replicaCount; r++) {
        const wanted = opts.portBase ? opts.portBase + i * replicaCount + r : 0;
        const app = await listen(service, wanted);
        replicas.get(service)!.push({ port: (app.server.address() as { port: number }).port, app });
      }
    }
  } catch (e) {
    await Promise.all([...replicas.values()].flat().map((r) => r.app?.close()));
    throw e;
  }

  const services = Object.fromEntries(SERVICE_NAMES.map((s) => [s, replicas.get(s)!.map((r) => urlOf(r.port))])) as ServiceUrls;
  return {
    services, enterprise, versions,
    async stop() {
      await Promise.all([...replicas.values()].flat().map(async (r) => {
        const app = r.app;
        r.app = null;
        if (app) {
          const closing = app.close();
          app.server.closeAllConnections();
          await closing;
        }
      }));
    },
  };
}

/** `count` distinct indexes below `n`, ascending, chosen by the seeded stream (selection sampling). */
function sample(rng: Rng, n: number, count: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n && out.length < count; i++) {
    if (rng.next() * (n - i) < count - out.length) out.push(i);
  }
  return out;
}
