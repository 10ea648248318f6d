import ipaddr from 'ipaddr.js';
import { LRUCache } from 'lru-cache';
import type { SsrfReason } from './reasons.js';

type IP = ipaddr.IPv4 | ipaddr.IPv6;

/** Why an address may not be contacted: a stable reason and a sentence for people. */
export interface AddressBlock { reason: SsrfReason; detail: string }

/**
 * Cloud instance-metadata endpoints. Most already fall in a blocked range; they get their own
 * reason because reaching one is the classic SSRF credential theft and deserves to stand out.
 */
const METADATA_ADDRESSES = new Set([
  '169.254.169.254', // AWS, GCP, Azure, OpenStack, DigitalOcean
  '169.254.170.2', // AWS ECS task metadata
  '100.100.100.200', // Alibaba Cloud
  '192.0.0.192', // Oracle Cloud (legacy)
  'fd00:ec2::254', // AWS over IPv6
]);

/** ipaddr.js range names → our reason. Anything absent and not public is RESERVED_ADDRESS. */
const V4_REASONS: Record<string, SsrfReason> = {
  unspecified: 'UNSPECIFIED_ADDRESS',
  broadcast: 'BROADCAST',
  multicast: 'MULTICAST',
  linkLocal: 'LINK_LOCAL',
  loopback: 'LOOPBACK',
  carrierGradeNat: 'CGNAT',
  private: 'PRIVATE_ADDRESS',
};
const V6_REASONS: Record<string, SsrfReason> = {
  unspecified: 'UNSPECIFIED_ADDRESS',
  loopback: 'LOOPBACK',
  linkLocal: 'LINK_LOCAL',
  multicast: 'MULTICAST',
  uniqueLocal: 'PRIVATE_ADDRESS',
  deprecatedSiteLocal: 'PRIVATE_ADDRESS',
};
/** Ranges that are globally routed unicast even though ipaddr.js names them (anycast services). */
const V4_PUBLIC = new Set(['unicast', 'as112', 'amt']);
const V6_PUBLIC = new Set(['unicast', 'as112v6', 'amt']);

const GLOBAL_UNICAST_V6: [ipaddr.IPv6, number] = [ipaddr.IPv6.parse('2000::'), 3];
const LOCAL_NAT64: [ipaddr.IPv6, number] = [ipaddr.IPv6.parse('64:ff9b:1::'), 48];
const IPV4_COMPATIBLE: [ipaddr.IPv6, number] = [ipaddr.IPv6.parse('::'), 96];

/**
 * Parses an address the way the operating system would (so `0177.0.0.1`, `2130706433`, `127.1`
 * and zone ids are understood), or null when it is not an IP address at all.
 */
export function parseAddress(text: string): IP | null {
  const bare = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  try {
    return ipaddr.parse(bare);
  } catch {
    return null;
  }
}

export interface AddressVerdict {
  /** The address normalised (what a connection must use). */
  address: string;
  block: AddressBlock | null;
}

/**
 * A vendor file names the same few hosts thousands of times; parsing and classifying an address
 * is pure, so verdicts are remembered (by exact text) instead of recomputed for every row.
 */
const verdicts = new LRUCache<string, AddressVerdict | false>({ max: 10_000 });

/** parseAddress + classifyAddress, memoised; null when `text` is not an IP address. */
export function verdictFor(text: string): AddressVerdict | null {
  let verdict = verdicts.get(text);
  if (verdict === undefined) {
    const ip = parseAddress(text);
    verdict = ip ? { address: ip.toString(), block: classifyAddress(ip) } : false;
    verdicts.set(text, verdict);
  }
  return verdict || null;
}

/** Null when the address is public and may be contacted; otherwise why not. */
export function classifyAddress(ip: IP): AddressBlock | null {
  const text = ip.toString();
  if (METADATA_ADDRESSES.has(text.replace(/%.*$/, ''))) return { reason: 'METADATA', detail: `${text} is a cloud instance-metadata address` };
  // A zone id scopes an address to one interface: only link-scoped addresses have one legitimately.
  if ((ip as ipaddr.IPv6).zoneId) return { reason: 'LINK_LOCAL', detail: `${text} carries a zone id (an interface-scoped address)` };
  return ip.kind() === 'ipv4' ? classifyV4(ip as ipaddr.IPv4) : classifyV6(ip as ipaddr.IPv6);
}

function classifyV4(ip: ipaddr.IPv4): AddressBlock | null {
  const range = ip.range() as string;
  if (V4_PUBLIC.has(range)) return null;
  const reason = V4_REASONS[range];
  if (reason) return { reason, detail: `${ip.toString()} is in the ${describe(range)} range` };
  return reserved(ip);
}

/** Names the reserved block precisely (ipaddr.js lumps them together), for the operator's benefit. */
const RESERVED_KINDS: Record<string, [IP, number][]> = {
  documentation: [
    ipaddr.parseCIDR('192.0.2.0/24'), ipaddr.parseCIDR('198.51.100.0/24'), ipaddr.parseCIDR('203.0.113.0/24'),
    ipaddr.parseCIDR('2001:db8::/32'), ipaddr.parseCIDR('3fff::/20'),
  ],
  benchmarking: [ipaddr.parseCIDR('198.18.0.0/15'), ipaddr.parseCIDR('2001:2::/48')],
  'future use': [ipaddr.parseCIDR('240.0.0.0/4')],
  'protocol assignments': [ipaddr.parseCIDR('192.0.0.0/24'), ipaddr.parseCIDR('2001::/23')],
};

function reserved(ip: IP): AddressBlock {
  const kind = ipaddr.subnetMatch(ip, RESERVED_KINDS, 'non-global');
  return { reason: 'RESERVED_ADDRESS', detail: `${ip.toString()} is in the ${kind} range` };
}

function classifyV6(ip: ipaddr.IPv6): AddressBlock | null {
  const range = ip.range() as string;
  const text = ip.toString();
  const direct = V6_REASONS[range];
  if (direct) return { reason: direct, detail: `${text} is in the ${describe(range)} range` };

  // Addresses that carry an IPv4 address inside: the embedded one decides, whatever the notation.
  if (range === 'ipv4Mapped') return embedded(text, v4At(ip, 6), 'IPv4-mapped');
  if (range === 'rfc6145') return embedded(text, v4At(ip, 6), 'IPv4-translated');
  if (range === 'rfc6052') {
    if (ip.match(LOCAL_NAT64)) return { reason: 'PRIVATE_ADDRESS', detail: `${text} is in the local-use NAT64 range (64:ff9b:1::/48)` };
    return embedded(text, v4At(ip, 6), 'NAT64');
  }
  if (range === '6to4') return embedded(text, v4At(ip, 1), '6to4');
  if (range === 'teredo') {
    // Teredo carries the server address plainly and the client address inverted; neither path is
    // ours to vouch for, so a Teredo address is refused even when both embedded addresses are public.
    const server = v4At(ip, 2);
    const client = new ipaddr.IPv4(v4At(ip, 6).octets.map((o) => o ^ 0xff));
    return embedded(text, server, 'Teredo server') ?? embedded(text, client, 'Teredo client')
      ?? { reason: 'RESERVED_ADDRESS', detail: `${text} is a Teredo tunnel address` };
  }
  if (ip.match(IPV4_COMPATIBLE)) {
    // Deprecated (RFC 4291): stacks disagree on what connecting to one does, so never allowed.
    return embedded(text, v4At(ip, 6), 'IPv4-compatible')
      ?? { reason: 'RESERVED_ADDRESS', detail: `${text} is a deprecated IPv4-compatible address` };
  }
  if (V6_PUBLIC.has(range) && ip.match(GLOBAL_UNICAST_V6)) return null;
  return reserved(ip);
}

/** The embedded IPv4 address's verdict, told through the outer address. */
function embedded(outer: string, v4: ipaddr.IPv4, kind: string): AddressBlock | null {
  const inner = classifyAddress(v4);
  return inner && { reason: inner.reason, detail: `${outer} (${kind}): ${inner.detail}` };
}

function v4At(ip: ipaddr.IPv6, part: number): ipaddr.IPv4 {
  const hi = ip.parts[part]!;
  const lo = ip.parts[part + 1]!;
  return new ipaddr.IPv4([hi >> 8, hi & 0xff, lo >> 8, lo & 0xff]);
}

function describe(range: string): string {
  return range.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
}
