import { join, resolve } from 'node:path';
import type { Config } from '../config/schema.js';
import { loadDescriptorSet } from '../connectors/descriptors/load-descriptors.js';
import { openConnectors, type Connectors } from '../connectors/open-connectors.js';
import { fromVendorSpec, type VendorEndpoint } from '../pipeline/deliver/vendor-endpoint.js';
import { configuredResolver, checkUrl, sharedResolver, urlPolicyFromSpec, type Resolver } from '../security/ssrf/index.js';
import type { UrlChecker } from '../pipeline/ingest/pass1.js';
import { EXAMPLE_VENDOR_FILES, loadVendorRegistry, type VendorRegistry } from '../vendors/registry.js';

/**
 * What the stages run against, built once per process from `config.pipeline`: the vendor registry,
 * each vendor's SFTP endpoint (the spec's, or a bound one such as the demo vendor), the internal
 * services' connectors (opened on first use: a process that only delivers never needs them), the
 * spool directory and each vendor's URL guard. SFTP sessions are the platform's (`platform.sessions`).
 */
export interface PipelineEnvironment {
  vendors: VendorRegistry;
  endpoint(vendorId: string): VendorEndpoint;
  connectors(): Connectors;
  spoolDir: string;
  urlChecker(vendorId: string): UrlChecker;
  /** Response window from the vendor's SLA (or the configured override), null when the spec names none. */
  responseWindowMs(vendorId: string): number | null;
  maxBatchSize: number;
  close(): Promise<void>;
}

/** Where a process spools files (`pipeline.spoolDir`, or `<home>/spool`). */
export function spoolDirOf(config: Config): string {
  return resolve(config.pipeline.spoolDir ?? join(config.home, 'spool'));
}

/** Where discrepancy reports go, from cycles and from `vendorflow ingest` alike (swept by `gc` with the spool). */
export function reportsDirOf(config: Config): string {
  return join(spoolDirOf(config), 'reports');
}

export function openPipelineEnvironment(config: Config): PipelineEnvironment {
  const p = config.pipeline;
  const vendors = loadVendorRegistry(p.vendorSpecs ?? EXAMPLE_VENDOR_FILES);
  const resolver: Resolver = sharedResolver(configuredResolver(config.ssrf), { timeoutMs: config.ssrf.dnsTimeoutMs });
  let connectors: Connectors | undefined;
  const checkers = new Map<string, UrlChecker>();
  return {
    vendors,
    endpoint(vendorId) {
      const base = fromVendorSpec(vendors.get(vendorId));
      const bound = p.vendorEndpoints[vendorId];
      return bound
        ? { ...base, host: bound.host, port: bound.port, user: bound.username, keyRef: bound.privateKey, hostKeySha256: bound.hostKeyFingerprint }
        : base;
    },
    connectors() {
      connectors ??= openConnectors({ set: loadDescriptorSet(p.serviceDescriptors), urls: p.serviceUrls });
      return connectors;
    },
    spoolDir: spoolDirOf(config),
    urlChecker(vendorId) {
      let c = checkers.get(vendorId);
      if (!c) {
        const { policy } = urlPolicyFromSpec(vendors.get(vendorId), `vendor ${vendorId}`);
        const deps = { resolver, dnsTimeoutMs: config.ssrf.dnsTimeoutMs };
        c = (url) => checkUrl(url, policy, deps);
        checkers.set(vendorId, c);
      }
      return c;
    },
    responseWindowMs(vendorId) {
      if (p.responseWindowMs !== undefined) return p.responseWindowMs;
      const hours = vendors.get(vendorId).schedule.sla.responseHours;
      return hours === undefined ? null : hours * 3_600_000;
    },
    maxBatchSize: p.maxBatchSize,
    async close() {
      await connectors?.close();
    },
  };
}
