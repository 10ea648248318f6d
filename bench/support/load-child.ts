/**
 * One load measured in its own process, so its peak RSS is its own. Prints one JSON line.
 * argv: engine (pglite|postgres|copy) employees databaseUrl?
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { openDatabase } from '../../src/engines/database/open-database.js';
import { loadEmployees, toEmployeeRow } from '../../src/pipeline/load-employees.js';
import { createPiiCipher } from '../../src/security/pii-cipher.js';
import { generateEmployees } from '../../src/sim/enterprise.js';

const [engine, n, url] = process.argv.slice(2) as [string, string, string | undefined];
const employees = Number(n);
const pii = createPiiCipher(randomBytes(32));
const tenantId = 'bench';
let seconds = 0;

if (engine === 'copy') {
  // Bare COPY of the same rows, already sealed, from a CSV file: the floor for getting rows in.
  const dir = mkdtempSync(join(tmpdir(), 'vf-copy-'));
  const csv = join(dir, 'employees.csv');
  const lines: string[] = [];
  for (const s of generateEmployees({ seed: 7, employees })) {
    const r = toEmployeeRow(tenantId, s, pii);
    const json = JSON.stringify(r.data).replaceAll('"', '""');
    lines.push(`${tenantId},${r.employeeId},${r.location},${r.department},${r.version},"${json}",\\x${Buffer.from(r.pii!).toString('hex')}`);
  }
  try {
    writeFileSync(csv, `${lines.join('\n')}\n`);
    const db = await openDatabase({ engine: 'postgres', url: url! });
    await db.migrate();
    await db.unitOfWork((r) => r.tenants.ensure({ tenantId, name: 'bench' }));
    await db.close();
    const t0 = performance.now();
    execFileSync('psql', [url!, '-q', '-c',
      `\\copy employees (tenant_id, employee_id, location, department, version, data, pii) from '${csv}' with (format csv)`]);
    seconds = (performance.now() - t0) / 1000;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(JSON.stringify({ seconds, rows: employees, maxRssMb: process.resourceUsage().maxRSS / 1024 }));
} else {
  const dataDir = engine === 'pglite' ? mkdtempSync(join(tmpdir(), 'vf-pglite-')) : null;
  let rows = 0;
  try {
    const db = await openDatabase(engine === 'pglite' ? { engine: 'pglite', dataDir } : { engine: 'postgres', url: url! });
    await db.migrate();
    await db.unitOfWork((r) => r.tenants.ensure({ tenantId, name: 'bench' }));
    const t0 = performance.now();
    rows = await loadEmployees({ db, pii, tenantId, employees: generateEmployees({ seed: 7, employees }) });
    seconds = (performance.now() - t0) / 1000;
    await db.close();
  } finally {
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }
  console.log(JSON.stringify({ seconds, rows, maxRssMb: process.resourceUsage().maxRSS / 1024 }));
}
