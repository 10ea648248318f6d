import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { generateSshKeyPair } from '../engines/files/ssh-key-pair.js';
import type { Config } from '../config/schema.js';
import type { Database } from '../engines/database/port.js';
import { PLANS } from '../sim/catalog.js';
import { startVendorResponder, startVendorSimulator, type VendorResponder } from '../sim/vendor/vendor-simulator.js';
import { documentHost } from '../sim/vendor/response-generator.js';
import type { VendorSpec } from '../vendors/spec-schema.js';

/** The internal services a run gathers from: the simulators, in this process or a child. */
export interface InternalServices {
  services: Record<string, string[]>;
  /** Set when they run in their own process (its peak memory is reported separately). */
  pid?: number;
  stop(): Promise<void>;
}
export type StartServices = (opts: { employees: number; seed: number; latencyMs: number }) => Promise<InternalServices>;

export interface DemoEnvironmentOptions {
  home: string;
  specs: readonly VendorSpec[];
  employees: number;
  seed: number;
  latencyMs: number;
  startServices: StartServices;
  /** How often the demo vendor answers delivered files. */
  vendorPollMs?: number;
  /** Vendors the demo vendor never answers (to see a response window run out); default none. */
  silent?: readonly string[];
  /** Another SFTP server for the demo vendor instead of the embedded one (tests: OpenSSH's sshd). */
  vendorHost?: () => Promise<VendorHost>;
}

/** An SFTP server that serves `root` (a directory on this machine) as `/`, and how we log in to it. */
export interface VendorHost {
  root: string;
  host: string;
  port: number;
  username: string;
  /** Our client key (the value; it is written under `<home>/demo` and referenced from there). */
  privateKey: string;
  hostKeySha256: string;
  close(): Promise<void>;
}

export interface DemoEnvironment {
  /** The `pipeline` config section that binds the stages to these services and this vendor. */
  pipeline: Config['pipeline'];
  /**
   * The `ssrf` config section: the demo vendors' document hosts resolve from a hosts file under
   * `<home>/demo` (the demo runs offline), so their links pass the URL guard and only the vendor's
   * deliberately bad ones (a private address) are blocked.
   */
  ssrf: { resolverHosts: string };
  services: InternalServices;
  vendor: VendorResponder;
  stop(): Promise<void>;
}

const VENDOR_USER = 'vendorflow';

/**
 * Everything a run needs around the platform, with zero set-up: the simulators (internal services)
 * and the demo vendor — the embedded SFTP server on a free loopback port, answering what it
 * receives. Keys are generated once under `<home>/demo` and reused: our SSH client key, and (by the
 * vendor simulator) its host key, which is pinned in the returned bindings like any vendor's.
 */
export async function startDemoEnvironment(o: DemoEnvironmentOptions): Promise<DemoEnvironment> {
  const dir = resolve(o.home, 'demo');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const keyPath = join(dir, 'client_ed25519');
  if (!existsSync(keyPath)) {
    const k = generateSshKeyPair();
    writeFileSync(keyPath, k.private, { mode: 0o600 });
    writeFileSync(`${keyPath}.pub`, k.public);
  }
  const resolverHosts = join(dir, 'hosts');
  writeFileSync(resolverHosts, demoHosts(o.specs), { mode: 0o600 });
  const services = await o.startServices({ employees: o.employees, seed: o.seed, latencyMs: o.latencyMs });
  const answering = { specs: o.specs, silent: o.silent ?? [], seed: o.seed, pollMs: o.vendorPollMs ?? 500 };
  let vendor: VendorResponder;
  let endpoint: Config['pipeline']['vendorEndpoints'][string];
  let closeHost = async () => {};
  try {
    if (o.vendorHost) {
      const host = await o.vendorHost();
      closeHost = () => host.close();
      const hostKeyPath = join(dir, 'vendor_host_client_key');
      writeFileSync(hostKeyPath, host.privateKey, { mode: 0o600 });
      vendor = await startVendorResponder({ root: host.root, ...answering });
      endpoint = { host: host.host, port: host.port, username: host.username, privateKey: `file:${hostKeyPath}`, hostKeyFingerprint: host.hostKeySha256 };
    } else {
      const root = join(dir, 'vendor');
      const sim = await startVendorSimulator({ root, username: VENDOR_USER, authorizedKeys: [readFileSync(`${keyPath}.pub`, 'utf8')], ...answering });
      vendor = sim;
      endpoint = {
        host: sim.server.host, port: sim.server.port, username: VENDOR_USER, privateKey: `file:${keyPath}`,
        hostKeyFingerprint: sim.server.hostKeySha256,
      };
    }
  } catch (e) {
    await closeHost().catch(() => undefined);
    await services.stop();
    throw e;
  }
  return {
    pipeline: {
      serviceUrls: services.services, maxBatchSize: 2000,
      vendorEndpoints: Object.fromEntries(o.specs.map((s) => [s.id, endpoint])),
    },
    ssrf: { resolverHosts },
    services, vendor,
    async stop() {
      await vendor.close().catch(() => undefined);
      await closeHost().catch(() => undefined);
      await services.stop();
    },
  };
}

/**
 * Each answering vendor's document host at a public address. Nothing connects to it: ingest only
 * checks a link (scheme, port, allowlist, every resolved address) and stores it, never fetches it.
 */
function demoHosts(specs: readonly VendorSpec[]): string {
  const hosts = specs.filter((s) => s.inbound?.urls).map((s) => documentHost(s));
  return `# vendorflow demo: document hosts of the demo vendors (written at every start)\n${hosts.map((h) => `93.184.215.14 ${h}\n`).join('')}`;
}

/**
 * Registers the tenant and its vendors (spec and per-tenant settings such as group numbers), as an
 * operator would before the first run. Idempotent.
 */
export async function enrolTenant(db: Database, tenantId: string, specs: readonly VendorSpec[]): Promise<void> {
  await db.unitOfWork(async (r) => {
    await r.tenants.ensure({ tenantId, name: `Tenant ${tenantId}` });
    for (const spec of specs) {
      const sha = createHash('sha256').update(JSON.stringify(spec)).digest('hex');
      await r.outboundFiles.putVendor(tenantId, spec.id, spec.name, spec, sha);
      const existing = await r.outboundFiles.tenantVendor(tenantId, spec.id);
      if (!existing || Object.keys(existing.settings).length === 0) {
        const code = tenantId.toUpperCase().replace(/[^A-Z0-9]/g, '').slice(0, 10) || 'TENANT';
        await r.outboundFiles.putTenantVendor(tenantId, spec.id, {
          groupNumber: `G-${code}`, sponsorId: code, sponsorName: `Tenant ${tenantId}`, policyNumber: `POL-${code}`, payerId: '987654321',
          planCodes: vendorPlanCodes(spec),
        });
      }
    }
  });
}

/**
 * The vendor's own codes for the synthetic plans it covers, as a carrier assigns them (short:
 * `DEN-BASIC` → `DBASIC`, fitting a 6-byte fixed-width field); responses come back in these codes.
 */
export function vendorPlanCodes(spec: VendorSpec): Record<string, string> {
  const types = new Set<string>(spec.outbound.planTypes);
  return Object.fromEntries(Object.values(PLANS).filter((p) => types.has(p.type))
    .map((p) => { const [a, b = ''] = p.code.split('-'); return [p.code, `${a![0]}${b}`.slice(0, 6)]; }));
}
