import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { buildProgram, type CliContext } from '../program.js';
import { EXAMPLE_VENDOR_FILES } from '../../vendors/registry.js';

function run(args: string[]) {
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = '';
  let stderr = '';
  out.on('data', (d) => (stdout += d));
  err.on('data', (d) => (stderr += d));
  const ctx: CliContext = {
    loadConfig: () => { throw new Error('not used'); },
    openPlatform: () => { throw new Error('not used'); },
    out, err,
  };
  return buildProgram(ctx).parseAsync(['node', 'vendorflow', ...args]).then(
    () => ({ code: 0, stdout, stderr }),
    (e: { exitCode?: number; message: string }) => ({ code: e.exitCode ?? -1, stdout, stderr: stderr + e.message }),
  );
}

describe('vendorflow spec validate', () => {
  it('accepts the example specs', async () => {
    const r = await run(['spec', 'validate', ...EXAMPLE_VENDOR_FILES]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('valid (vendor bright-dental)');
  });

  it('prints each problem with its YAML path and exits 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vf-spec-'));
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, readFileSync(EXAMPLE_VENDOR_FILES[0]!, 'utf8')
      .replace('format: MM/DD/YYYY, required: true }', 'format: YYYY-MM-DDD, required: true }')
      .replace('timeZone: America/Chicago', 'timeZone: Nowhere/Town'));
    const r = await run(['spec', 'validate', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bad\.yaml: line \d+:\d+ outbound\.columns\[9\]\.format: unknown date pattern "YYYY-MM-DDD"/);
    expect(r.stderr).toContain('schedule.timeZone: unknown time zone "Nowhere/Town"');
  });
});
