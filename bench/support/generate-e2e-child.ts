/**
 * End-to-end generation from a run's snapshots in a database, one step per process (so the
 * generating process's peak RSS is its own, not the seeding's):
 *   node --import tsx bench/support/generate-e2e-child.ts seed     pglite|postgres TARGET EMPLOYEES PII_KEY_HEX
 *   node --import tsx bench/support/generate-e2e-child.ts generate pglite|postgres TARGET EMPLOYEES PII_KEY_HEX SPOOL_DIR
 * TARGET is a PGlite data directory or a PostgreSQL URL. `seed` stores the run's snapshots sealed,
 * as Gather does; `generate` runs generateFile (keyset pages → records → CSV writer → spool file,
 * with file_members and benefit records per page) and prints one JSON line: bytes, records,
 * seconds, cpuSeconds, maxRssMb.
 */
import { openDatabase } from '../../src/engines/database/open-database.js';
import type { SnapshotRow } from '../../src/engines/database/repositories/gather.js';
import { generateFile } from '../../src/pipeline/generate/generate-file.js';
import { toEmployeeRow } from '../../src/pipeline/load-employees.js';
import { createPiiCipher } from '../../src/security/pii-cipher.js';
import { generateEmployees } from '../../src/sim/enterprise.js';
import { enrol } from '../../test/support/enrolled-employees.js';
import { SETTINGS } from '../../test/support/render-records.js';
import { wideCsvSpec } from './generate-specs.js';

const [step, engine, target, countText, keyHex, spoolDir] = process.argv.slice(2) as [string, 'pglite' | 'postgres', string, string, string, string];
const employees = Number(countText);
const pii = createPiiCipher(Buffer.from(keyHex, 'hex'));
const TENANT = 'bench';
const RUN = 'bench-run';
const spec = wideCsvSpec();

const db = await openDatabase(engine === 'pglite' ? { engine: 'pglite', dataDir: target } : { engine: 'postgres', url: target });
try {
  if (step === 'seed') {
    await db.migrate();
    await db.unitOfWork(async (r) => {
      await r.tenants.ensure({ tenantId: TENANT, name: 'Bench' });
      await r.gather.ensureRun({ tenantId: TENANT, runId: RUN, gatherMode: 'batched' });
      await r.outboundFiles.putTenantVendor(TENANT, spec.id, SETTINGS);
    });
    let chunk: SnapshotRow[] = [];
    const flush = async () => {
      const rows = chunk;
      chunk = [];
      await db.unitOfWork((r) => r.gather.upsertSnapshots(rows));
    };
    let i = 0;
    for (const e of generateEmployees({ seed: 7, employees })) {
      const s = enrol(e, i++, true);
      const row = toEmployeeRow(TENANT, s, pii);
      chunk.push({ tenantId: TENANT, runId: RUN, employeeId: s.employeeId, batchId: 'B1', version: s.version, status: 'complete', reason: null, data: row.data, pii: row.pii });
      if (chunk.length === 1000) await flush();
    }
    if (chunk.length) await flush();
    console.log(JSON.stringify({ seeded: i }));
  } else if (step === 'generate') {
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const file = await generateFile({ db, pii, tenantId: TENANT, runId: RUN, vendorSpec: spec, kind: 'full', cycleId: null, spoolDir, now: new Date('2024-03-15T15:30:00Z') });
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    console.log(JSON.stringify({ bytes: file.size, records: file.records, rejected: file.rejected, seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, maxRssMb: process.resourceUsage().maxRSS / 1024 }));
  } else {
    throw new Error(`unknown step ${step}`);
  }
} finally {
  await db.close();
}
