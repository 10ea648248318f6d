import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { adminQuery, withDatabase } from '../../test/support/databases.js';
import { TEST_DATABASE_URL } from '../../test/support/services.js';
import { loadConfig } from '../config/load-config.js';
import { VendorflowError } from '../shared/errors.js';
import { openPlatform } from './platform.js';

const codeOf = (p: Promise<unknown>) => p.then(() => 'opened', (e) => (e instanceof VendorflowError ? e.code : String(e)));

describe('openPlatform safeguards', () => {
  const homes: string[] = [];
  const home = () => {
    const h = mkdtempSync(join(tmpdir(), 'vf-home-'));
    homes.push(h);
    return h;
  };
  afterAll(() => homes.forEach((h) => rmSync(h, { recursive: true, force: true })));

  it('gives the embedded database to one process at a time', async () => {
    const config = loadConfig({ env: { VENDORFLOW_HOME: home() } });
    const first = await openPlatform(config);
    try {
      const e = await openPlatform(config).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(VendorflowError);
      expect((e as VendorflowError).code).toBe('CONFLICT');
      expect((e as VendorflowError).message).toMatch(/in use by another vendorflow process \(pid \d+\)|in use/);
    } finally {
      await first.close();
    }
    const again = await openPlatform(config);
    await again.close();
  });

  it('refuses to generate a new embedded key when data was sealed with a lost one', async () => {
    const h = home();
    const config = loadConfig({ env: { VENDORFLOW_HOME: h } });
    await (await openPlatform(config)).close();
    rmSync(join(h, 'pii.key'));
    expect(await codeOf(openPlatform(config))).toBe('CONFIG_INVALID');
  });

  it('refuses a PII key other than the one the data was sealed with (PostgreSQL)', async () => {
    const name = `vf_test_keys_${randomBytes(4).toString('hex')}`;
    await adminQuery(`create database ${name}`);
    try {
      // Secrets resolve from the process environment when used, so each open sets the key there.
      const env = { VENDORFLOW_HOME: home(), DATABASE_URL: withDatabase(TEST_DATABASE_URL, name), VENDORFLOW_PII_KEY: 'env:TEST_PII' };
      const open = (key: Buffer) => {
        process.env.TEST_PII = key.toString('base64');
        return openPlatform(loadConfig({ env }));
      };
      const keyA = randomBytes(32);
      await (await open(keyA)).close();
      await (await open(keyA)).close();
      expect(await codeOf(open(randomBytes(32)))).toBe('CONFIG_INVALID');
    } finally {
      delete process.env.TEST_PII;
      await adminQuery(`drop database if exists ${name} with (force)`);
    }
  });
});
