import { verdictFor } from './classify-address.js';
import type { SsrfReason } from './reasons.js';
import type { Resolver } from './resolvers.js';
import { hostAllowed, testAddressAllowance, type UrlPolicy } from './url-policy.js';

export interface UrlCheck {
  allowed: boolean;
  reason?: SsrfReason;
  /** One sentence for people (the offending address, scheme, port...). Never contains secrets. */
  detail?: string;
  /** When allowed: the checked addresses, the only ones a connection may use. */
  addresses?: string[];
}

export interface CheckUrlDeps {
  resolver: Resolver;
  /** Resolution taking longer than this counts as unresolved. Default 5,000 ms. */
  dnsTimeoutMs?: number;
}

export const DEFAULT_DNS_TIMEOUT_MS = 5_000;

/**
 * Names that reach instance metadata or the machine itself without any DNS answer being involved
 * (search domains, /etc/hosts, systemd-resolved), refused before resolution.
 */
const METADATA_NAMES = new Set(['metadata.google.internal', 'metadata.goog', 'metadata', 'instance-data', 'instance-data.ec2.internal']);

const DEFAULT_PORTS: Record<string, number> = { 'http:': 80, 'https:': 443 };

/**
 * Decides whether `url` may be fetched under `policy`. Parsing is WHATWG's (what undici and
 * browsers use), which turns decimal, octal, hex, short and percent-encoded IPv4 hosts into
 * dotted quads before we look; IPv6 literals, including IPv4-mapped/compatible, NAT64 and 6to4
 * forms, are classified by the address they really reach. A host name is resolved once and every
 * address must pass; the caller must connect only to the returned `addresses`.
 */
export async function checkUrl(url: string, policy: UrlPolicy, deps: CheckUrlDeps): Promise<UrlCheck> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return blocked('INVALID_URL', 'not an absolute URL');
  }
  const scheme = parsed.protocol.slice(0, -1);
  if (!(policy.schemes as readonly string[]).includes(scheme)) {
    return blocked('SCHEME_NOT_ALLOWED', `scheme "${scheme}" is not allowed (allowed: ${policy.schemes.join(', ')})`);
  }
  if (parsed.username || parsed.password) return blocked('USERINFO', 'credentials in the URL are not allowed');
  const port = parsed.port ? Number(parsed.port) : DEFAULT_PORTS[parsed.protocol]!;
  if (!policy.ports.includes(port)) return blocked('PORT_NOT_ALLOWED', `port ${port} is not allowed (allowed: ${policy.ports.join(', ')})`);

  const host = parsed.hostname.toLowerCase().replace(/\.$/, '');
  if (host === '' || host.endsWith('.')) return blocked('INVALID_URL', 'empty host name or label');
  const allowance = testAddressAllowance(policy);
  const literal = host.startsWith('[') || isDottedQuad(host) ? verdictFor(host) : null;
  if (literal) {
    const block = allowance?.has(literal.address) ? null : literal.block;
    if (block) return blocked(block.reason, block.detail);
    if (!hostAllowed(policy, host)) return blocked('HOST_NOT_ALLOWLISTED', `${host} is not on the host allowlist`);
    return { allowed: true, addresses: [literal.address] };
  }

  if (METADATA_NAMES.has(host)) return blocked('METADATA', `${host} is a cloud instance-metadata host name`);
  if (host === 'localhost' || host.endsWith('.localhost')) return blocked('LOOPBACK', `${host} always names the local machine`);
  if (!hostAllowed(policy, host)) return blocked('HOST_NOT_ALLOWLISTED', `${host} is not on the host allowlist`);

  const resolved = await resolveWithin(deps, host);
  if (typeof resolved === 'string') return blocked('DNS_UNRESOLVED', resolved);
  const addresses: string[] = [];
  for (const text of resolved) {
    const verdict = verdictFor(text);
    if (!verdict) return blocked('DNS_UNRESOLVED', `${host} resolved to "${text}", which is not an IP address`);
    const block = allowance?.has(verdict.address) ? null : verdict.block;
    if (block) return blocked(block.reason, `${host} → ${block.detail}`);
    if (!addresses.includes(verdict.address)) addresses.push(verdict.address);
  }
  return { allowed: true, addresses };
}

function blocked(reason: SsrfReason, detail: string): UrlCheck {
  return { allowed: false, reason, detail };
}

/**
 * WHATWG URL has already rewritten every IPv4 notation of a special-scheme host to a dotted quad,
 * so only a strict dotted quad is a literal here; anything else is a name to resolve.
 */
function isDottedQuad(host: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(host);
}

/** The addresses, or why there are none (a sentence). Never throws. */
async function resolveWithin(deps: CheckUrlDeps, host: string): Promise<string[] | string> {
  const timeoutMs = deps.dnsTimeoutMs ?? DEFAULT_DNS_TIMEOUT_MS;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`${host} did not resolve within ${timeoutMs} ms`), timeoutMs);
  });
  try {
    const answer = await Promise.race([
      deps.resolver(host).then(
        (addresses) => (addresses.length > 0 ? addresses : `${host} has no addresses`),
        (e: NodeJS.ErrnoException) => `${host} did not resolve (${e?.code ?? e?.message ?? 'error'})`,
      ),
      timeout,
    ]);
    return answer;
  } finally {
    clearTimeout(timer);
  }
}
