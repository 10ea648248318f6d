import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const ROOT = new URL('../..', import.meta.url).pathname;

/** A fresh VENDORFLOW_HOME for one demo, removed afterwards. */
async function inHome(fn: (home: string) => Promise<void>): Promise<void> {
  const home = mkdtempSync(join(tmpdir(), 'vf-demo-'));
  try {
    await fn(home);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

describe('vendorflow demo', () => {
  it('runs with zero set-up to its summary: calls, files, transfers, per-vendor outcomes, stages, processes', async () => {
    await inHome(async (home) => {
      const env = { ...process.env, VENDORFLOW_HOME: home, DATABASE_URL: '', REDIS_URL: '', VENDORFLOW_PII_KEY: '' };
      const { stdout } = await promisify(execFile)(process.execPath, [join(ROOT, 'bin/vendorflow.js'), 'demo', '--employees', '600', '--latency', '1', '--json'],
        { cwd: ROOT, env, maxBuffer: 1 << 22, timeout: 240_000 });
      const r = JSON.parse(stdout);
      expect(r).toMatchObject({ status: 'done', employees: 600, incomplete: 0, engines: { database: 'pglite', queue: 'in-process' } });
      expect(r.calls.made).toBeLessThan(r.calls.naive);
      expect(r.vendors.map((v: { vendorId: string }) => v.vendorId)).toEqual(['acme-medical', 'bright-dental', 'summit-life']);
      for (const v of r.vendors) {
        expect(v).toMatchObject({ status: 'done', sla: 'met' });
        expect(v.file.bytes).toBeGreaterThan(0);
        expect(v.response.applied).toBeGreaterThan(0);
        expect(v.response.rejected).toBeGreaterThan(0); // the demo vendor always sends a few bad rows
        expect(v.response.identitiesHold).toBe(true);
      }
      expect(r.stages.map((s: { stage: string }) => s.stage)).toEqual(['plan', 'gather', 'generate', 'deliver', 'await', 'ingest', 'apply', 'reconcile']);
      expect(r.processes.map((p: { name: string }) => p.name)).toEqual([expect.stringMatching(/^vendorflow/), expect.stringMatching(/^simulators/)]);
      for (const p of r.processes) expect(p.peakRssMb).toBeGreaterThan(0);
      expect(r.next.length).toBeGreaterThan(0);

      // What the summary points to next: one cycle, stage by stage in pipeline order, with figures.
      const status = (await promisify(execFile)(process.execPath, [join(ROOT, 'bin/vendorflow.js'), 'cycle', 'status', r.vendors[0].cycleId],
        { cwd: ROOT, env, timeout: 60_000 })).stdout;
      expect(status).toMatch(/status\s+done\n/);
      expect(status).toMatch(/gather \d+ of \d+ batches done/);
      const stages = status.split('\n').filter((l) => /^ {2}(generate|deliver|await|ingest|apply|reconcile) /.test(l));
      expect(stages.map((l) => l.trim().split(/\s+/).slice(0, 2).join(' '))).toEqual(
        ['generate done', 'deliver done', 'await done', 'ingest done', 'apply done', 'reconcile done']);
      expect(stages[0]).toMatch(new RegExp(`records ${r.vendors[0].file.records}\\b`));
      expect(stages[2]).toMatch(/response at \d\d:\d\d:\d\d/);

      // How an operator finds those ids later: the tenant's cycles, narrowed by vendor and status.
      const vf = async (...args: string[]) => (await promisify(execFile)(process.execPath, [join(ROOT, 'bin/vendorflow.js'), ...args], { cwd: ROOT, env, timeout: 60_000 })).stdout;
      const listed = JSON.parse(await vf('cycle', 'list', '--tenant', 'demo', '--json'));
      expect(listed.map((c: { cycleId: string }) => c.cycleId).sort()).toEqual(r.vendors.map((v: { cycleId: string }) => v.cycleId).sort());
      const acmeDone = JSON.parse(await vf('cycle', 'list', '--vendor', 'acme-medical', '--status', 'done', '--status', 'failed', '--json'));
      expect(acmeDone).toEqual([expect.objectContaining({ vendorId: 'acme-medical', status: 'done', sla: 'met' })]);
      expect(await vf('cycle', 'list', '--status', 'cancelled')).toBe('no cycles match\n');
      expect((await vf('cycle', 'list')).split('\n')[0]).toMatch(/^\s*cycle\s+tenant\s+vendor\s+kind\s+status\s+stage\s+sla\s+created/);
      // Steering a finished cycle is a wrong request (exit 2), not a temporary conflict worth retrying.
      await expect(vf('cycle', 'cancel', r.vendors[0].cycleId)).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('is already done') });
      await expect(vf('cycle', 'list', '--status', 'finished')).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('expected one of pending') });

      // A vendor's response ingested by hand reads its plan codes as the pipeline does (through the
      // tenant's plan-code map): the same content, one byte longer so it is a new file, is accepted.
      const archived = readdirSync(join(home, 'demo', 'vendor'), { recursive: true, encoding: 'utf8' })
        .find((p) => p.includes('archive') && basename(p).startsWith('ACME_RESP'))!;
      const copy = join(home, 'acme-response.csv');
      writeFileSync(copy, Buffer.concat([readFileSync(join(home, 'demo', 'vendor', archived)), Buffer.from('\r\n')]));
      const ingested = JSON.parse((await promisify(execFile)(process.execPath,
        [join(ROOT, 'bin/vendorflow.js'), 'ingest', '--tenant', 'demo', '--vendor', 'acme-medical', copy, '--json'], { cwd: ROOT, env, timeout: 60_000 })).stdout);
      const acme = r.vendors.find((v: { vendorId: string }) => v.vendorId === 'acme-medical');
      expect(ingested.status).not.toBe('quarantined');
      expect(ingested.reconciliation.rejected).toBe(acme.response.rejected); // the vendor's deliberate bad rows, nothing more

      // The demo again in the same home: the vendor answers the new deliveries with the same bytes as
      // before (nothing changed), and each answer still moves its own cycle on.
      const again = JSON.parse((await promisify(execFile)(process.execPath, [join(ROOT, 'bin/vendorflow.js'), 'demo', '--employees', '600', '--latency', '1', '--json'],
        { cwd: ROOT, env, maxBuffer: 1 << 22, timeout: 240_000 })).stdout);
      expect(again.vendors.map((v: { status: string }) => v.status)).toEqual(['done', 'done', 'done']);
      expect(again.vendors.map((v: { cycleId: string }) => v.cycleId)).not.toContain(r.vendors[0].cycleId);
    });
  }, 300_000);

  it('stops on an unreachable database before starting the simulators or the demo vendor (exit 69, naming it)', async () => {
    await inHome(async (home) => {
      const env = { ...process.env, VENDORFLOW_HOME: home, DATABASE_URL: 'postgres://postgres@127.0.0.1:1/nowhere', REDIS_URL: '', PII_KEY: Buffer.alloc(32, 7).toString('base64'), VENDORFLOW_PII_KEY: 'env:PII_KEY' };
      const failed = await promisify(execFile)(process.execPath, [join(ROOT, 'bin/vendorflow.js'), 'demo', '--employees', '100'], { cwd: ROOT, env, timeout: 60_000 })
        .then(() => null, (e: { code: number; stderr: string }) => e);
      expect(failed?.code).toBe(69);
      expect(failed?.stderr).toMatch(/127\.0\.0\.1:1/);
      expect(failed?.stderr).not.toMatch(/are up/);
      expect(existsSync(join(home, 'demo'))).toBe(false); // no client key, no vendor directory: nothing was started
    });
  }, 120_000);

  it('stops its simulators and vendor when interrupted (SIGINT to the demo process alone), exit 130', async () => {
    await inHome(async (home) => {
      const env = { ...process.env, VENDORFLOW_HOME: home, DATABASE_URL: '', REDIS_URL: '', VENDORFLOW_PII_KEY: '' };
      const child = spawn(process.execPath, [join(ROOT, 'bin/vendorflow.js'), 'demo', '--employees', '20000', '--latency', '50'], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      const simPid = await new Promise<number>((resolve, reject) => {
        child.stderr!.on('data', (d) => {
          stderr += String(d);
          const m = /simulators \(pid (\d+)\)/.exec(stderr);
          if (m) resolve(Number(m[1]));
        });
        child.once('exit', () => reject(new Error(`demo exited before starting: ${stderr}`)));
      });
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGINT');
      expect(await exited).toBe(130);
      const alive = () => { try { process.kill(simPid, 0); return true; } catch { return false; } };
      await expect.poll(alive, { timeout: 5_000 }).toBe(false);
    });
  }, 120_000);
});
