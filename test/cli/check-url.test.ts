import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'vf-check-url-'));
const hosts = join(dir, 'hosts');
writeFileSync(hosts, [
  '# names the CLI may resolve in this test; anything else does not resolve',
  '93.184.215.14 example.com docs.acme.example',
  '2606:4700::1111 example.com',
  '93.184.215.30 x.cdn.acme.example',
  '10.0.0.5 intranet.example',
  '',
].join('\n'));

const vendorSpec = join(dir, 'acme.yaml');
writeFileSync(vendorSpec, [
  'id: acme',
  'inbound:',
  '  format: csv',
  '  urls:',
  '    hosts: [docs.acme.example, "*.cdn.acme.example"]',
  '',
].join('\n'));
const wideningSpec = join(dir, 'widening.yaml');
writeFileSync(wideningSpec, 'inbound:\n  urls:\n    hosts: [docs.acme.example]\n    ports: [8443]\n');

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(args: string[], input?: string) {
  const r = spawnSync(process.execPath, ['bin/vendorflow.js', ...args], {
    cwd: root, input, encoding: 'utf8',
    env: { ...process.env, VENDORFLOW_RESOLVER_HOSTS: hosts, VENDORFLOW_DNS_TIMEOUT_MS: '2000', VENDORFLOW_CONFIG: '' },
  });
  return { code: r.status, out: r.stdout, err: r.stderr, lines: r.stdout.split('\n').filter(Boolean) };
}

describe('vendorflow check-url', () => {
  it('prints one line per URL in order and exits 1 when any is blocked', () => {
    const r = run(['check-url', 'https://example.com/plan.pdf', 'http://0x7f.1/', 'http://intranet.example/', 'https://nowhere.example/', 'http://user:pw@example.com/']);
    expect(r.code).toBe(1);
    expect(r.lines).toEqual([
      'allowed  https://example.com/plan.pdf  (93.184.215.14, 2606:4700::1111)',
      expect.stringMatching(/^blocked {2}http:\/\/0x7f\.1\/ {2}LOOPBACK: 127\.0\.0\.1 /),
      expect.stringMatching(/^blocked {2}http:\/\/intranet\.example\/ {2}PRIVATE_ADDRESS: .*10\.0\.0\.5/),
      expect.stringMatching(/^blocked {2}https:\/\/nowhere\.example\/ {2}DNS_UNRESOLVED: /),
      expect.stringMatching(/^blocked {2}http:\/\/user:pw@example\.com\/ {2}USERINFO: /),
    ]);
  });

  it('exits 0 when every URL is allowed', () => {
    const r = run(['check-url', 'https://example.com/', 'http://93.184.215.14/x']);
    expect(r.code).toBe(0);
    expect(r.lines.every((l) => l.startsWith('allowed  '))).toBe(true);
  });

  it('reads URLs from standard input with "-" and prints one JSON object per line', () => {
    const r = run(['--json', 'check-url', '-'], 'https://example.com/a\n\nhttp://[::ffff:127.0.0.1]/\r\nhttp://169.254.169.254/latest/\n');
    expect(r.code).toBe(1);
    expect(r.lines.map((l) => JSON.parse(l) as unknown)).toEqual([
      { url: 'https://example.com/a', allowed: true, addresses: ['93.184.215.14', '2606:4700::1111'] },
      { url: 'http://[::ffff:127.0.0.1]/', allowed: false, reason: 'LOOPBACK', detail: expect.any(String) },
      { url: 'http://169.254.169.254/latest/', allowed: false, reason: 'METADATA', detail: expect.any(String) },
    ]);
  });

  it('applies a vendor spec\'s inbound.urls policy, which only narrows the baseline', () => {
    const r = run(['--json', 'check-url', '--vendor', vendorSpec, 'https://docs.acme.example/p.pdf', 'https://x.cdn.acme.example/',
      'http://docs.acme.example/p.pdf', 'https://example.com/', 'https://docs.acme.example:80/']);
    expect(r.code).toBe(1);
    expect(r.lines.map((l) => (JSON.parse(l) as { reason?: string }).reason ?? 'allowed'))
      .toEqual(['allowed', 'allowed', 'SCHEME_NOT_ALLOWED', 'HOST_NOT_ALLOWLISTED', 'allowed']);
  });

  it('takes a registered vendor id; a vendor without inbound.urls allowlists no host', () => {
    const r = run(['check-url', '--vendor', 'bright-dental', 'https://example.com/card.png']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/bright-dental declares no inbound\.urls policy/);
    expect(r.lines).toEqual([expect.stringMatching(/^blocked {2}https:\/\/example\.com\/card\.png {2}HOST_NOT_ALLOWLISTED: /)]);
  });

  it('refuses a vendor policy that would widen the baseline, with its path in the spec', () => {
    const r = run(['check-url', '--vendor', wideningSpec, 'https://docs.acme.example/']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/inbound\.urls\.ports: ports can only narrow/);
    expect(r.out).toBe('');
  });

  it('is a usage error when standard input holds no URL', () => {
    const r = run(['check-url', '-'], '\n\n');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/no URLs/);
  });
});

describe('check-url with a resolver hosts file it cannot use', () => {
  it('is a configuration error naming the key (exit 2), not an internal one', () => {
    const r = spawnSync(process.execPath, ['bin/vendorflow.js', 'check-url', 'https://example.com/'], {
      cwd: root, encoding: 'utf8', env: { ...process.env, VENDORFLOW_RESOLVER_HOSTS: join(dir, 'missing-hosts'), VENDORFLOW_CONFIG: '' },
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/VENDORFLOW_RESOLVER_HOSTS.*cannot read .*missing-hosts/);
  });
});
