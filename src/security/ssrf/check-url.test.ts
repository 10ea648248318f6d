import { afterEach, describe, expect, it } from 'vitest';
import { checkUrl } from './check-url.js';
import type { SsrfReason } from './reasons.js';
import { mapResolver, type Resolver } from './resolvers.js';
import {
  allowAddressesForTesting, baselinePolicy, narrowPolicy, vendorPolicy, VendorUrlPolicySchema, type UrlPolicy,
} from './url-policy.js';

/** Every host name the tests use; nothing ever reaches system DNS. */
const names = mapResolver({
  'example.com': ['93.184.215.14'],
  'v6.example.com': ['2606:4700::1111'],
  'dual.example.com': ['93.184.215.14', '2606:4700::1111'],
  'private.example.com': ['10.0.0.7'],
  'mixed.example.com': ['93.184.215.14', '192.168.1.10'],
  'rebind.example.com': ['127.0.0.1'],
  'mapped.example.com': ['::ffff:10.0.0.1'],
  'meta.example.com': ['169.254.169.254'],
  'cgnat.example.com': ['100.64.0.1'],
  'ula.example.com': ['fd12:3456::1'],
  'octal-answer.example.com': ['0177.0.0.1'],
  'linklocal6.example.com': ['fe80::1%eth0'],
  'scoped.example.com': ['2606:4700::1%eth0'],
  'empty.example.com': [],
  'garbage.example.com': ['not-an-address'],
  'docs.vendor.com': ['93.184.215.20'],
  'x.cdn.vendor.com': ['93.184.215.21'],
  'a.b.cdn.vendor.com': ['93.184.215.22'],
  'cdn.vendor.com': ['93.184.215.23'],
  'private.cdn.vendor.com': ['172.20.0.5'],
});
/** `slow.example.com` never answers, to prove the timeout. */
const resolver: Resolver = (host) => (host === 'slow.example.com' ? new Promise(() => {}) : names(host));
const deps = { resolver, dnsTimeoutMs: 50 };

type Expect = 'allowed' | SsrfReason;

const BASELINE_CASES: Array<[string, Expect]> = [
  // Allowed: public addresses, whatever the spelling.
  ['https://example.com/plan.pdf', 'allowed'],
  ['http://example.com/', 'allowed'],
  ['https://EXAMPLE.COM./doc', 'allowed'],
  ['https://example.com:443/', 'allowed'],
  ['http://exa%6dple.com/', 'allowed'],
  ['https://ｅｘａｍｐｌｅ.com/', 'allowed'],
  ['https://v6.example.com/', 'allowed'],
  ['https://dual.example.com/', 'allowed'],
  ['http://93.184.215.14/', 'allowed'],
  ['https://[2606:4700::1111]/', 'allowed'],
  ['http://[::ffff:8.8.8.8]/', 'allowed'],
  ['http://[64:ff9b::808:808]/', 'allowed'],
  ['http://[2002:808:808::1]/', 'allowed'],
  // Loopback in every notation.
  ['http://127.0.0.1/', 'LOOPBACK'],
  ['http://2130706433/', 'LOOPBACK'],
  ['http://0177.0.0.1/', 'LOOPBACK'],
  ['http://0x7f.1/', 'LOOPBACK'],
  ['http://127.1/', 'LOOPBACK'],
  ['http://0x7f000001/', 'LOOPBACK'],
  ['http://017700000001/', 'LOOPBACK'],
  ['http://127.000.000.001/', 'LOOPBACK'],
  ['http://0x7f.0x0.0x0.0x1/', 'LOOPBACK'],
  ['http://127.0.0.1./', 'LOOPBACK'],
  ['http://127.255.255.254/', 'LOOPBACK'],
  ['http://%31%32%37.0.0.1/', 'LOOPBACK'],
  ['http://１２７.０.０.１/', 'LOOPBACK'],
  ['http:\\\\127.0.0.1\\plan', 'LOOPBACK'],
  ['http://127.0.0.1#@example.com/', 'LOOPBACK'],
  ['http://[::1]/', 'LOOPBACK'],
  ['http://[0:0:0:0:0:0:0:1]/', 'LOOPBACK'],
  ['http://[::ffff:7f00:1]/', 'LOOPBACK'],
  ['http://[::ffff:127.0.0.1]/', 'LOOPBACK'],
  ['http://[0:0:0:0:0:ffff:127.0.0.1]/', 'LOOPBACK'],
  ['http://[::ffff:0:7f00:1]/', 'LOOPBACK'],
  ['http://[::127.0.0.1]/', 'LOOPBACK'],
  ['http://[64:ff9b::7f00:1]/', 'LOOPBACK'],
  ['http://[64:ff9b::127.0.0.1]/', 'LOOPBACK'],
  ['http://[2002:7f00:1::]/', 'LOOPBACK'],
  ['http://[2001:0:4136:e378::80ff:fffe]/', 'LOOPBACK'],
  ['http://localhost/', 'LOOPBACK'],
  ['http://LOCALHOST./', 'LOOPBACK'],
  ['http://ⓛocalhost/', 'LOOPBACK'],
  ['http://api.localhost/', 'LOOPBACK'],
  ['http://rebind.example.com/', 'LOOPBACK'],
  ['http://octal-answer.example.com/', 'LOOPBACK'],
  // Private (RFC 1918, ULA, site-local, local NAT64) directly and through names.
  ['http://10.0.0.1/', 'PRIVATE_ADDRESS'],
  ['http://172.16.5.4/', 'PRIVATE_ADDRESS'],
  ['http://172.31.255.255/', 'PRIVATE_ADDRESS'],
  ['http://192.168.0.1/', 'PRIVATE_ADDRESS'],
  ['http://0xc0a80001/', 'PRIVATE_ADDRESS'],
  ['http://3232235521/', 'PRIVATE_ADDRESS'],
  ['http://012.0.0.1/', 'PRIVATE_ADDRESS'],
  ['http://[::ffff:10.0.0.1]/', 'PRIVATE_ADDRESS'],
  ['http://[::ffff:a00:1]/', 'PRIVATE_ADDRESS'],
  ['http://[fd12:3456::1]/', 'PRIVATE_ADDRESS'],
  ['http://[fc00::1]/', 'PRIVATE_ADDRESS'],
  ['http://[fec0::1]/', 'PRIVATE_ADDRESS'],
  ['http://[64:ff9b:1::a00:1]/', 'PRIVATE_ADDRESS'],
  ['http://[2002:c0a8:1::]/', 'PRIVATE_ADDRESS'],
  ['http://private.example.com/', 'PRIVATE_ADDRESS'],
  ['http://mixed.example.com/', 'PRIVATE_ADDRESS'],
  ['http://mapped.example.com/', 'PRIVATE_ADDRESS'],
  ['http://ula.example.com/', 'PRIVATE_ADDRESS'],
  // Link-local, metadata, CGNAT, multicast, unspecified, broadcast, reserved.
  ['http://169.254.1.1/', 'LINK_LOCAL'],
  ['http://[fe80::1]/', 'LINK_LOCAL'],
  ['http://linklocal6.example.com/', 'LINK_LOCAL'],
  ['http://scoped.example.com/', 'LINK_LOCAL'],
  ['http://169.254.169.254/latest/meta-data/', 'METADATA'],
  ['http://0xa9fea9fe/', 'METADATA'],
  ['http://2852039166/', 'METADATA'],
  ['http://[::ffff:169.254.169.254]/', 'METADATA'],
  ['http://[64:ff9b::a9fe:a9fe]/', 'METADATA'],
  ['http://[fd00:ec2::254]/', 'METADATA'],
  ['http://100.100.100.200/', 'METADATA'],
  ['http://metadata.google.internal/computeMetadata/v1/', 'METADATA'],
  ['http://METADATA.GOOGLE.INTERNAL./', 'METADATA'],
  ['http://meta.example.com/', 'METADATA'],
  ['http://100.64.0.1/', 'CGNAT'],
  ['http://100.127.255.254/', 'CGNAT'],
  ['http://cgnat.example.com/', 'CGNAT'],
  ['http://224.0.0.1/', 'MULTICAST'],
  ['http://239.255.255.250/', 'MULTICAST'],
  ['http://[ff02::1]/', 'MULTICAST'],
  ['http://0.0.0.0/', 'UNSPECIFIED_ADDRESS'],
  ['http://0/', 'UNSPECIFIED_ADDRESS'],
  ['http://0.1.2.3/', 'UNSPECIFIED_ADDRESS'],
  ['http://[::]/', 'UNSPECIFIED_ADDRESS'],
  ['http://255.255.255.255/', 'BROADCAST'],
  ['http://4294967295/', 'BROADCAST'],
  ['http://192.0.2.1/', 'RESERVED_ADDRESS'],
  ['http://198.51.100.7/', 'RESERVED_ADDRESS'],
  ['http://203.0.113.9/', 'RESERVED_ADDRESS'],
  ['http://198.18.0.1/', 'RESERVED_ADDRESS'],
  ['http://240.0.0.1/', 'RESERVED_ADDRESS'],
  ['http://[2001:db8::1]/', 'RESERVED_ADDRESS'],
  ['http://[2001:2::1]/', 'RESERVED_ADDRESS'],
  ['http://[::8.8.8.8]/', 'RESERVED_ADDRESS'],
  ['http://[2001:0:4136:e378::f7f7:f7f7]/', 'RESERVED_ADDRESS'],
  ['http://[4000::1]/', 'RESERVED_ADDRESS'],
  // URL-level rules come first, whatever the host.
  ['ftp://example.com/plan.pdf', 'SCHEME_NOT_ALLOWED'],
  ['file:///etc/passwd', 'SCHEME_NOT_ALLOWED'],
  ['gopher://example.com:70/', 'SCHEME_NOT_ALLOWED'],
  ['javascript:alert(1)', 'SCHEME_NOT_ALLOWED'],
  ['data:text/plain,hello', 'SCHEME_NOT_ALLOWED'],
  ['ws://example.com/', 'SCHEME_NOT_ALLOWED'],
  ['http://user:pass@example.com/', 'USERINFO'],
  ['http://user@example.com/', 'USERINFO'],
  ['http://example.com@127.0.0.1/', 'USERINFO'],
  ['http://example.com:8080/', 'PORT_NOT_ALLOWED'],
  ['https://example.com:22/', 'PORT_NOT_ALLOWED'],
  ['http://127.0.0.1:6379/', 'PORT_NOT_ALLOWED'],
  ['http://example.com:0/', 'PORT_NOT_ALLOWED'],
  ['not a url', 'INVALID_URL'],
  ['', 'INVALID_URL'],
  ['http://', 'INVALID_URL'],
  ['http://256.0.0.1/', 'INVALID_URL'],
  ['http://1.2.3.4.5/', 'INVALID_URL'],
  ['http://[::1/', 'INVALID_URL'],
  ['http://[fe80::1%25eth0]/', 'INVALID_URL'],
  ['http://%5B::1%5D/', 'INVALID_URL'],
  ['http://exa mple.com/', 'INVALID_URL'],
  ['http://example.com../', 'INVALID_URL'],
  // Names that do not resolve, in every way.
  ['http://nowhere.example.com/', 'DNS_UNRESOLVED'],
  ['http://empty.example.com/', 'DNS_UNRESOLVED'],
  ['http://slow.example.com/', 'DNS_UNRESOLVED'],
  ['http://garbage.example.com/', 'DNS_UNRESOLVED'],
];

describe('checkUrl under the platform baseline', () => {
  it('covers at least 60 URLs', () => expect(BASELINE_CASES.length).toBeGreaterThanOrEqual(60));

  it.each(BASELINE_CASES)('%s → %s', async (url, expected) => {
    const result = await checkUrl(url, baselinePolicy(), deps);
    if (expected === 'allowed') {
      expect(result).toMatchObject({ allowed: true });
      expect(result.addresses!.length).toBeGreaterThan(0);
      expect(result.reason).toBeUndefined();
    } else {
      expect(result).toMatchObject({ allowed: false, reason: expected });
      expect(result.detail).toBeTruthy();
      expect(result.addresses).toBeUndefined();
    }
  });

  it('returns every checked address of a dual-stack host, normalised', async () => {
    expect(await checkUrl('https://dual.example.com/', baselinePolicy(), deps)).toEqual({ allowed: true, addresses: ['93.184.215.14', '2606:4700::1111'] });
    expect((await checkUrl('http://[::ffff:8.8.8.8]/', baselinePolicy(), deps)).addresses).toEqual(['::ffff:808:808']);
  });

  it('names the offending address and the embedding', async () => {
    const r = await checkUrl('http://mixed.example.com/', baselinePolicy(), deps);
    expect(r.detail).toContain('192.168.1.10');
    expect((await checkUrl('http://[2002:7f00:1::]/', baselinePolicy(), deps)).detail).toMatch(/6to4.*127\.0\.0\.1/);
  });

  it('does not resolve names it can refuse without DNS', async () => {
    const asked: string[] = [];
    const spy: Resolver = async (h) => { asked.push(h); return ['93.184.215.14']; };
    for (const url of ['http://localhost/', 'http://metadata.google.internal/', 'ftp://example.com/', 'http://example.com:81/']) {
      expect((await checkUrl(url, baselinePolicy(), { resolver: spy })).allowed).toBe(false);
    }
    expect(asked).toEqual([]);
  });
});

const vendorHosts = { hosts: ['docs.vendor.com', '*.cdn.vendor.com'] };
const VENDOR_CASES: Array<[string, Expect]> = [
  ['https://docs.vendor.com/plan.pdf', 'allowed'],
  ['https://DOCS.VENDOR.COM./plan.pdf', 'allowed'],
  ['https://x.cdn.vendor.com/a', 'allowed'],
  ['https://a.b.cdn.vendor.com/a', 'allowed'],
  ['http://docs.vendor.com/plan.pdf', 'SCHEME_NOT_ALLOWED'],
  ['https://cdn.vendor.com/', 'HOST_NOT_ALLOWLISTED'],
  ['https://evilcdn.vendor.com/', 'HOST_NOT_ALLOWLISTED'],
  ['https://docs.vendor.com.evil.example/', 'HOST_NOT_ALLOWLISTED'],
  ['https://example.com/', 'HOST_NOT_ALLOWLISTED'],
  ['https://93.184.215.20/', 'HOST_NOT_ALLOWLISTED'],
  ['https://private.cdn.vendor.com/', 'PRIVATE_ADDRESS'],
  ['https://127.0.0.1/', 'LOOPBACK'],
];

describe('checkUrl under a vendor policy', () => {
  it.each(VENDOR_CASES)('%s → %s', async (url, expected) => {
    const result = await checkUrl(url, vendorPolicy(vendorHosts), deps);
    expect(result.allowed ? 'allowed' : result.reason).toBe(expected);
  });

  it('narrows ports and keeps http only when the vendor lists it', async () => {
    const policy = vendorPolicy({ ...vendorHosts, schemes: ['https', 'http'], ports: [443] });
    expect((await checkUrl('http://docs.vendor.com/', policy, deps)).reason).toBe('PORT_NOT_ALLOWED');
    expect((await checkUrl('http://docs.vendor.com:443/', policy, deps)).allowed).toBe(true);
    expect((await checkUrl('https://docs.vendor.com/', policy, deps)).allowed).toBe(true);
  });

  it('refuses settings that would widen the baseline or are not host names', () => {
    const bad = [
      { hosts: ['docs.vendor.com'], ports: [8443] },
      { hosts: ['docs.vendor.com'], schemes: ['ftp'] },
      { hosts: [] },
      {},
      { hosts: ['https://docs.vendor.com'] },
      { hosts: ['docs.vendor.com:443'] },
      { hosts: ['docs.vendor.com/path'] },
      { hosts: ['a.*.vendor.com'] },
      { hosts: ['*'] },
      { hosts: ['docs.vendor.com'], allowPrivate: true },
    ];
    for (const settings of bad) expect(VendorUrlPolicySchema.safeParse(settings).success, JSON.stringify(settings)).toBe(false);
    expect(VendorUrlPolicySchema.parse({ hosts: ['Docs.Vendor.COM.', '*.CDN.vendor.com'] }))
      .toEqual({ schemes: ['https'], hosts: ['docs.vendor.com', '*.cdn.vendor.com'] });
  });

  it('a narrowed policy is never wider than its base', () => {
    const base: UrlPolicy = { schemes: ['https'], ports: [443], hosts: ['docs.vendor.com'] };
    const narrowed = narrowPolicy(base, VendorUrlPolicySchema.parse({ schemes: ['http', 'https'], ports: [80, 443], hosts: ['docs.vendor.com', 'other.vendor.com'] }));
    expect(narrowed).toEqual({ schemes: ['https'], ports: [443], hosts: ['docs.vendor.com'] });
  });
});

describe('the test-only address allowance', () => {
  const saved = process.env.VITEST;
  afterEach(() => { process.env.VITEST = saved; });

  it('admits exactly the listed addresses and nothing else', async () => {
    const policy = allowAddressesForTesting(baselinePolicy(), ['127.0.0.1']);
    expect(await checkUrl('http://127.0.0.1/', policy, deps)).toEqual({ allowed: true, addresses: ['127.0.0.1'] });
    expect((await checkUrl('http://rebind.example.com/', policy, deps)).allowed).toBe(true);
    expect((await checkUrl('http://127.0.0.2/', policy, deps)).reason).toBe('LOOPBACK');
    expect((await checkUrl('http://[::1]/', policy, deps)).reason).toBe('LOOPBACK');
    expect((await checkUrl('http://169.254.169.254/', policy, deps)).reason).toBe('METADATA');
  });

  it('cannot be constructed outside the test runner, nor survive serialisation', async () => {
    const roundTripped = JSON.parse(JSON.stringify(allowAddressesForTesting(baselinePolicy(), ['127.0.0.1']))) as UrlPolicy;
    expect((await checkUrl('http://127.0.0.1/', roundTripped, deps)).reason).toBe('LOOPBACK');
    delete process.env.VITEST;
    expect(() => allowAddressesForTesting(baselinePolicy(), ['127.0.0.1'])).toThrow(/test runner/);
  });
});
