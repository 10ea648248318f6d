import { describe, expect, it } from 'vitest';
import { SERVICE_NAMES } from './knobs.js';
import { simStartArgs, spawnSimulators } from './spawn-simulators.js';
import { call, json } from './test-client.js';

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('spawnSimulators (vendorflow sim start in a child process)', () => {
  it('starts every service in its own process with the knobs given, and stops it', async () => {
    const sim = await spawnSimulators({
      employees: 400, seed: 9, replicas: 2,
      knobs: { latencyMs: 0, jitterMs: 0, errorRate: 1 }, serviceKnobs: { hris: { errorRate: 0 } },
    });
    try {
      expect(sim.pid).not.toBe(process.pid);
      for (const s of SERVICE_NAMES) expect(sim.services[s]).toHaveLength(2);
      const units = await json(`${sim.services.hris[1]}/units`);
      expect(units.reduce((n: number, u: { size: number }) => n + u.size, 0)).toBe(400);
      expect((await call(`${sim.services.roles[0]}/employees/E000001/roles`)).status).toBeGreaterThanOrEqual(500);
      expect((await json(`${sim.services.roles[0]}/admin`)).knobs).toMatchObject({ errorRate: 1, latencyMs: 0 });
    } finally {
      await sim.stop();
    }
    expect(alive(sim.pid)).toBe(false);
  });

  it('runs through `vendorflow sim start` itself too', async () => {
    const sim = await spawnSimulators({ entry: 'cli', employees: 50, seed: 1, knobs: { latencyMs: 0, jitterMs: 0 } });
    try {
      expect(await json(`${sim.services.leave[0]}/health`)).toMatchObject({ ok: true, service: 'leave' });
      expect((await json(`${sim.services.hris[0]}/employees/E000050`)).employeeId).toBe('E000050');
    } finally {
      await sim.stop();
    }
    expect(alive(sim.pid)).toBe(false);
  });

  it('fails with a clear error when the command is refused', async () => {
    await expect(spawnSimulators({ employees: 10, knobs: { errorRate: 2 } })).rejects.toThrow(/simulators failed to start.*--error-rate/);
  });

  it('maps options to command-line flags', () => {
    expect(simStartArgs({ employees: 5, knobs: { down: true, latencyMs: 3 }, serviceKnobs: { leave: { rateLimit: 4 } } }))
      .toEqual(['sim', 'start', '--json', '--employees', '5', '--down', '--latency', '3', '--service-knobs', '{"leave":{"rateLimit":4}}']);
  });
});
