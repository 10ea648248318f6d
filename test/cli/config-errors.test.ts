import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const BIN = new URL('../../bin/vendorflow.js', import.meta.url).pathname;

function run(args: string[], env: Record<string, string> = {}) {
  const home = mkdtempSync(join(tmpdir(), 'vf-cli-'));
  const res = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8', cwd: home, timeout: 60_000,
    env: { PATH: process.env.PATH!, VENDORFLOW_HOME: join(home, '.vendorflow'), ...env },
  });
  return { code: res.status, stdout: res.stdout, stderr: res.stderr.trim() };
}

/** The process-level contract: one clear line on stderr, no stack trace, a meaningful exit code. */
describe('vendorflow with bad configuration', () => {
  it('unknown key in the config file → exit 2 naming the key', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'vf-cfg-')), 'vf.yaml');
    writeFileSync(file, 'redis:\n  ur1: redis://127.0.0.1\n');
    const r = run(['--config', file, 'demo', '--employees', '10']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^vendorflow: config: unknown key redis\.ur1 in /);
    expect(r.stderr.split('\n')).toHaveLength(1);
  });

  it('a run this process would execute, with no internal services bound → exit 2 naming the key, and no run recorded', () => {
    const home = mkdtempSync(join(tmpdir(), 'vf-cli-'));
    const at = (args: string[]) => spawnSync(process.execPath, [BIN, ...args], {
      encoding: 'utf8', cwd: home, timeout: 60_000, env: { PATH: process.env.PATH!, VENDORFLOW_HOME: join(home, '.vendorflow') },
    });
    const r = at(['run', '--tenant', 'demo', '--vendor', 'acme-medical']);
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toMatch(/^vendorflow: config: pipeline\.serviceUrls\.\w+: no URL for internal service/);
    expect(at(['cycle', 'list']).stdout).toBe('no cycles match\n');
  });

  it('malformed URL → exit 2 naming the variable', () => {
    const r = run(['demo'], { DATABASE_URL: 'postgres//nope' });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('vendorflow: config: DATABASE_URL: expected a postgres:// URL');
  });

  it('bad number → exit 2 naming the variable', () => {
    const r = run(['demo'], { DATABASE_POOL_SIZE: 'ten' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^vendorflow: config: DATABASE_POOL_SIZE: /);
    expect(r.stderr.split('\n')).toHaveLength(1);
  });

  it('unreachable database → exit 69 naming the target', () => {
    const r = run(['gc', '--dry-run'], { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/nowhere' });
    expect(r.code).toBe(69);
    expect(r.stderr).toMatch(/^vendorflow: cannot reach PostgreSQL at 127\.0\.0\.1:1\/nowhere: /);
    expect(r.stderr.split('\n')).toHaveLength(1);
  });

  it('unreachable Redis → exit 69 naming the target', () => {
    const r = run(['gc', '--dry-run'], { REDIS_URL: 'redis://127.0.0.1:1' });
    expect(r.code).toBe(69);
    expect(r.stderr).toMatch(/^vendorflow: cannot reach Redis at 127\.0\.0\.1:1: .*ECONNREFUSED/);
    expect(r.stderr.split('\n')).toHaveLength(1);
  });

  it('bad argument → exit 2', () => {
    const r = run(['demo', '--employees', 'many']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`vendorflow: option '--employees <n>' argument 'many' is invalid. expected a whole number, got "many" (see --help)`);
  });

  it('unknown option → one line, exit 2', () => {
    const r = run(['demo', '--bogus']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("vendorflow: unknown option '--bogus' (see --help)");
  });

  it('--help works on the program and on a command, exit 0', () => {
    expect(run(['--help']).code).toBe(0);
    const r = run(['demo', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('--employees');
  });
});
