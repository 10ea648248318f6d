import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const script = `import { crashPoint } from ${JSON.stringify(new URL('./crash.ts', import.meta.url).pathname)};
crashPoint('before'); console.log('passed before');
crashPoint('target'); console.log('passed target');
crashPoint('target'); console.log('passed target again');`;

function runWith(env: Record<string, string>) {
  const dir = mkdtempSync(join(tmpdir(), 'vf-crash-'));
  const file = join(dir, 'script.ts');
  writeFileSync(file, script);
  const marker = join(dir, 'marker');
  const res = spawnSync(process.execPath, ['--import', 'tsx', file], {
    encoding: 'utf8', env: { ...process.env, ...env, VENDORFLOW_CRASH_MARKER: marker },
  });
  let reached = '';
  try { reached = readFileSync(marker, 'utf8'); } catch { /* not reached */ }
  return { res, reached };
}

describe('crash hook', () => {
  it('SIGKILLs the process at the named point and records that it got there', () => {
    const { res, reached } = runWith({ VENDORFLOW_CRASH_AT: 'target' });
    expect(res.signal).toBe('SIGKILL');
    expect(res.stdout).toBe('passed before\n');
    expect(reached).toMatch(/^target pid=\d+\n$/);
  });

  it('lets the point pass N times first', () => {
    const { res } = runWith({ VENDORFLOW_CRASH_AT: 'target', VENDORFLOW_CRASH_AFTER: '1' });
    expect(res.signal).toBe('SIGKILL');
    expect(res.stdout).toBe('passed before\npassed target\n');
  });

  it('does nothing without the variable', () => {
    const { res, reached } = runWith({});
    expect(res.status).toBe(0);
    expect(res.stdout).toContain('passed target again');
    expect(reached).toBe('');
  });
});
