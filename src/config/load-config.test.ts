import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { VendorflowError } from '../shared/errors.js';
import { loadConfig } from './load-config.js';

function configError(env: Record<string, string>, fileText?: string): VendorflowError {
  let file: string | undefined;
  if (fileText !== undefined) {
    file = join(mkdtempSync(join(tmpdir(), 'vf-config-')), 'vendorflow.yaml');
    writeFileSync(file, fileText);
  }
  try {
    loadConfig({ env, file });
  } catch (e) {
    if (e instanceof VendorflowError) return e;
    throw e;
  }
  throw new Error('expected a configuration error');
}

describe('loadConfig', () => {
  it('defaults to the embedded engines with no configuration at all', () => {
    const c = loadConfig({ env: {} });
    expect(c.database.url).toBeUndefined();
    expect(c.redis.url).toBeUndefined();
    expect(c.home).toBe('.vendorflow');
  });

  it('lays environment variables over the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vf-config-'));
    const file = join(dir, 'c.yaml');
    writeFileSync(file, 'database:\n  url: postgres://a@h/one\n  poolSize: 3\n');
    const c = loadConfig({ env: { DATABASE_URL: 'postgres://a@h/two' }, file });
    expect(c.database).toEqual({ url: 'postgres://a@h/two', poolSize: 3 });
  });

  it.each([
    ['unknown key in the file', {}, 'databse:\n  url: x\n', /unknown key databse in .*vendorflow\.yaml/],
    ['unknown nested key', {}, 'database:\n  uri: x\n', /unknown key database\.uri/],
    ['malformed database URL', { DATABASE_URL: 'not a url' }, undefined, /DATABASE_URL: expected a postgres:\/\/ URL/],
    ['wrong scheme for Redis', { REDIS_URL: 'http://127.0.0.1:6379' }, undefined, /REDIS_URL: expected a redis:\/\/ URL/],
    ['bad number', { DATABASE_POOL_SIZE: 'lots' }, undefined, /DATABASE_POOL_SIZE: expected a whole number$/],
    ['fractional number', { DATABASE_POOL_SIZE: '1.5' }, undefined, /DATABASE_POOL_SIZE: expected a whole number$/],
    ['number out of range', { DATABASE_POOL_SIZE: '0' }, undefined, /DATABASE_POOL_SIZE: .*>=1/],
    ['bad enum', { LOG_LEVEL: 'loud' }, undefined, /LOG_LEVEL: /],
    ['secret given as a value', { VENDORFLOW_PII_KEY: 'c2VjcmV0' }, undefined, /VENDORFLOW_PII_KEY: expected a secret reference/],
    ['file that is not a mapping', {}, '- a\n- b\n', /must hold a mapping/],
    ['file that is not YAML', {}, 'a: [unclosed\n', /not valid YAML/],
  ])('%s gives one line naming the key, exit code 2', (_name, env, file, message) => {
    const e = configError(env as Record<string, string>, file);
    expect(e.code).toBe('CONFIG_INVALID');
    expect(e.exitCode).toBe(2);
    expect(e.message).toMatch(message);
    expect(e.message).not.toContain('\n');
  });
});
