import { z } from 'zod';

export type UrlScheme = 'http' | 'https';

/**
 * What a URL may point at. Address rules (every resolved address public) are not optional and not
 * part of the policy: a policy only says which schemes, ports and hosts are acceptable.
 */
export interface UrlPolicy {
  readonly schemes: readonly UrlScheme[];
  readonly ports: readonly number[];
  /**
   * Host allowlist in lower-case ASCII without a trailing dot; `*.example.com` admits every
   * subdomain of example.com (not example.com itself). Absent means any host.
   */
  readonly hosts?: readonly string[];
  readonly [TEST_ADDRESSES]?: ReadonlySet<string>;
}

/** Kept private to this module so no configuration or spec can ever produce it (see below). */
const TEST_ADDRESSES = Symbol('ssrf test address allowance');

const BASELINE: UrlPolicy = Object.freeze({ schemes: Object.freeze(['http', 'https'] as const), ports: Object.freeze([80, 443]) });

/** The platform-wide policy: http or https, ports 80/443, any host whose every address is public. */
export function baselinePolicy(): UrlPolicy {
  return BASELINE;
}

/** Lower-case ASCII host (IDN converted, IP literals normalised), or null if `text` is not a bare host. */
export function normaliseHost(text: string): string | null {
  let url: URL;
  try {
    url = new URL(`http://${text}`);
  } catch {
    return null;
  }
  if (url.username || url.password || url.port || url.pathname !== '/' || url.search || url.hash) return null;
  const host = url.hostname.replace(/\.$/, '');
  return host === '' || host.includes('*') || host.endsWith('.') ? null : host;
}

const hostPattern = z.string().transform((value, ctx) => {
  const wildcard = value.startsWith('*.');
  const host = normaliseHost(wildcard ? value.slice(2) : value);
  if (host === null || (wildcard && host.startsWith('['))) {
    ctx.addIssue({ code: 'custom', message: `"${value}" is not a host name (use "example.com" or "*.example.com", no scheme, port or path)` });
    return z.NEVER;
  }
  return wildcard ? `*.${host}` : host;
});

/**
 * A vendor's URL settings, as written in its spec. It can only narrow the baseline: https-only,
 * fewer ports, and a host allowlist (required — a vendor's URLs point at the vendor's own hosts).
 */
export const VendorUrlPolicySchema = z.object({
  /** Schemes allowed in this vendor's URLs; http only if listed. */
  schemes: z.array(z.enum(['http', 'https'])).min(1).default(['https']),
  /** Ports allowed; a subset of the baseline's 80 and 443. */
  ports: z.array(z.number().int()).min(1)
    .refine((ports) => ports.every((p) => BASELINE.ports.includes(p)), { message: `ports can only narrow the platform baseline (${BASELINE.ports.join(', ')})` })
    .optional(),
  /** Hosts the vendor's URLs may name: "docs.vendor.com" or "*.vendor.com". */
  hosts: z.array(hostPattern).min(1),
}).strict();

export type VendorUrlPolicy = z.output<typeof VendorUrlPolicySchema>;
export type VendorUrlPolicyInput = z.input<typeof VendorUrlPolicySchema>;

/** The baseline narrowed by a vendor's settings; whatever they say, the result is never wider. */
export function narrowPolicy(base: UrlPolicy, vendor: VendorUrlPolicy): UrlPolicy {
  const hosts = base.hosts ? vendor.hosts.filter((h) => base.hosts!.includes(h)) : vendor.hosts;
  return {
    schemes: base.schemes.filter((s) => vendor.schemes.includes(s)),
    ports: vendor.ports ? base.ports.filter((p) => vendor.ports!.includes(p)) : base.ports,
    hosts,
    ...(base[TEST_ADDRESSES] ? { [TEST_ADDRESSES]: base[TEST_ADDRESSES] } : {}),
  };
}

/** The baseline narrowed by a vendor spec's raw URL settings (validated here). */
export function vendorPolicy(settings: VendorUrlPolicyInput): UrlPolicy {
  return narrowPolicy(baselinePolicy(), VendorUrlPolicySchema.parse(settings));
}

/** Whether `host` (already normalised) is on the policy's allowlist. */
export function hostAllowed(policy: UrlPolicy, host: string): boolean {
  if (!policy.hosts) return true;
  return policy.hosts.some((p) => (p.startsWith('*.') ? host.endsWith(p.slice(1)) : host === p));
}

/**
 * Lets the given addresses through the address checks, for tests that must reach a local server.
 * Only a test run can construct it (vitest sets VITEST), and it sits under a private symbol, so no
 * spec, config file or JSON can carry it into production.
 */
export function allowAddressesForTesting(policy: UrlPolicy, addresses: readonly string[]): UrlPolicy {
  if (process.env.VITEST !== 'true') throw new Error('allowAddressesForTesting is only available under the test runner');
  return { ...policy, [TEST_ADDRESSES]: new Set(addresses) };
}

/** The test-only address allowance of a policy, if any. */
export function testAddressAllowance(policy: UrlPolicy): ReadonlySet<string> | undefined {
  return policy[TEST_ADDRESSES];
}
