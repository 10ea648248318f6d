import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { configuredResolver, hostsFileResolver, parseHostsFile, sharedResolver, systemResolver } from './resolvers.js';

const dir = mkdtempSync(join(tmpdir(), 'vf-resolvers-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('resolvers', () => {
  it('a hosts file gives every address of a name, case- and trailing-dot-insensitive, and nothing else', async () => {
    const file = join(dir, 'hosts');
    writeFileSync(file, '# vendor hosts\n93.184.215.14  Docs.Vendor.Example. cdn.vendor.example\n\n2606:4700::1111 docs.vendor.example # v6\r\n');
    const resolve = hostsFileResolver(file);
    expect(await resolve('docs.vendor.example')).toEqual(['93.184.215.14', '2606:4700::1111']);
    expect(await resolve('cdn.vendor.example')).toEqual(['93.184.215.14']);
    await expect(resolve('other.example')).rejects.toMatchObject({ code: 'ENOTFOUND' });
    expect(await configuredResolver({ resolverHosts: file })('cdn.vendor.example')).toEqual(['93.184.215.14']);
  });

  it('a malformed hosts line is an error naming the line', () => {
    expect(() => parseHostsFile('93.184.215.14 ok.example\nnot-an-address name.example\n', 'h')).toThrow(/^h:2: /);
    expect(() => parseHostsFile('93.184.215.14\n', 'h')).toThrow(/^h:1: /);
  });

  it('the system resolver returns addresses as strings (a numeric host needs no DNS)', async () => {
    expect(await systemResolver()('127.0.0.1')).toEqual(['127.0.0.1']);
  });
});

describe('sharedResolver', () => {
  it('asks once per host while the answer is fresh, whoever asks', async () => {
    let calls = 0;
    const shared = sharedResolver(async (h) => { calls++; return h === 'a.example' ? ['93.184.216.34'] : []; }, { timeoutMs: 1000 });
    const answers = await Promise.all(Array.from({ length: 50 }, () => shared('a.example')));
    expect(answers.every((a) => a[0] === '93.184.216.34')).toBe(true);
    expect(await shared('b.example')).toEqual([]);
    expect(calls).toBe(2);
  });

  it('gives up on a host that never answers once, and remembers it: later checks fail at once', async () => {
    let calls = 0;
    const shared = sharedResolver(() => { calls++; return new Promise<string[]>(() => {}); }, { timeoutMs: 50 });
    const first = await Promise.allSettled(Array.from({ length: 20 }, () => shared('silent.example')));
    expect(first.every((r) => r.status === 'rejected' && (r.reason as { code?: string }).code === 'ETIMEOUT')).toBe(true);
    let settled = false;
    const later = shared('silent.example').catch(() => { settled = true; });
    await Promise.resolve();
    await Promise.resolve();
    expect(settled).toBe(true); // already failed: no second wait
    await later;
    expect(calls).toBe(1);
  });
});
