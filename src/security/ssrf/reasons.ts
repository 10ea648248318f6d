/**
 * Why a URL was refused. These codes are stable: they are stored in row errors, printed by
 * `vendorflow check-url` and listed in docs/errors.md (a test keeps the two equal).
 */
export const SSRF_REASONS = {
  INVALID_URL: 'The text is not an absolute URL with a host (WHATWG URL parsing failed).',
  SCHEME_NOT_ALLOWED: 'The scheme is not one the policy allows (only http/https ever; a vendor may require https).',
  USERINFO: 'The URL carries a user name or password (`user:pass@host`).',
  PORT_NOT_ALLOWED: 'The port is not one the policy allows (80/443 unless a vendor narrows it).',
  HOST_NOT_ALLOWLISTED: "The host is not on the vendor's host allowlist.",
  DNS_UNRESOLVED: 'The host did not resolve to any address, or resolution timed out.',
  LOOPBACK: 'The host is, or resolves to, a loopback address (127.0.0.0/8, ::1, localhost).',
  PRIVATE_ADDRESS: 'A private address: RFC 1918, IPv6 unique-local (fc00::/7), site-local (fec0::/10) or local-use NAT64.',
  LINK_LOCAL: 'A link-local address (169.254.0.0/16, fe80::/10).',
  CGNAT: 'A carrier-grade NAT shared address (100.64.0.0/10).',
  MULTICAST: 'A multicast address (224.0.0.0/4, ff00::/8).',
  UNSPECIFIED_ADDRESS: 'The unspecified address (0.0.0.0/8, ::).',
  BROADCAST: 'The limited broadcast address (255.255.255.255).',
  RESERVED_ADDRESS: 'A reserved, documentation, benchmarking or otherwise non-global address, a deprecated IPv4-compatible IPv6 address, or a Teredo tunnel.',
  METADATA: 'A cloud instance-metadata endpoint (169.254.169.254, fd00:ec2::254, metadata.google.internal, ...).',
  REDIRECT_BLOCKED: 'A redirect pointed at a URL the policy refuses; the detail names the hop and its reason.',
  TOO_MANY_REDIRECTS: 'More than 3 redirects.',
  HTTPS_DOWNGRADE: 'A redirect from https to http.',
} as const;

export type SsrfReason = keyof typeof SSRF_REASONS;
