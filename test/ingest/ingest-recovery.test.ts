import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestFile } from '../../src/pipeline/ingest/ingest-file.js';
import { createTestDatabase, ENGINES, type TestDatabase } from '../support/databases.js';
import {
  employeeId, messyResponse, OUTBOUND, RESPONSE_SPEC, recordsChecksum, seedTenant, TENANT, testUrlChecker, VENDOR,
} from '../support/ingest-fixture.js';

const EMPLOYEES = 1000;
const messy = messyResponse(EMPLOYEES);
let dir: string;
let path: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'vf-ingest-rec-'));
  path = join(dir, 'ACME_RESP_t1_0001.csv');
  writeFileSync(path, messy.bytes);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ingest = async (t: TestDatabase, extra: Partial<Parameters<typeof ingestFile>[0]> = {}) => ingestFile({
  db: t.db, tenantId: TENANT, vendorId: VENDOR, path, spec: RESPONSE_SPEC, answersFileId: OUTBOUND,
  checkUrl: await testUrlChecker(), chunkSize: 100, ...extra,
});

function runChild(url: string, env: Record<string, string>): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'ingest-child.ts')], {
      env: { ...process.env, INGEST_DATABASE_URL: url, INGEST_FILE: path, INGEST_CHUNK: '100', ...env }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve({ code, signal, stderr }));
  });
}

describe('ingest crash recovery (PostgreSQL, a child process killed at each point)', () => {
  let reference: string;
  beforeAll(async () => {
    const t = await createTestDatabase('postgres');
    try {
      await seedTenant(t.db, { employees: EMPLOYEES });
      const s = await ingest(t);
      expect(s.status).toBe('applied');
      reference = (await recordsChecksum(t.db)).sha256;
    } finally {
      await t.drop();
    }
  });

  const points: Array<[string, number]> = [
    ['ingest.pass1', 3], ['ingest.pass1-verdict', 0], ['apply.before-chunk', 4], ['apply.in-chunk', 4], ['apply.after-chunk', 4],
  ];
  for (const [point, after] of points) {
    it(`resumes after a crash at ${point} to the same records`, async () => {
      const t = await createTestDatabase('postgres');
      try {
        await seedTenant(t.db, { employees: EMPLOYEES });
        const marker = join(dir, `${point}.marker`);
        const crashed = await runChild(t.url!, {
          VENDORFLOW_CRASH_AT: point, VENDORFLOW_CRASH_AFTER: String(after), VENDORFLOW_CRASH_MARKER: marker,
        });
        expect(crashed.signal, crashed.stderr).toBe('SIGKILL');
        expect(existsSync(marker) && readFileSync(marker, 'utf8')).toContain(point);

        const resumed = await ingest(t);
        expect(resumed.status).toBe('applied');
        expect(resumed.reconciliation.receivedIdentityHolds).toBe(true);
        expect(resumed.reconciliation.crossChecksHold).toBe(true);
        expect(resumed.reconciliation.applied).toBe(messy.applied.size);
        expect((await recordsChecksum(t.db)).sha256).toBe(reference);
        const client = new pg.Client({ connectionString: t.url! });
        await client.connect();
        try {
          const twice = await client.query(`select entity_id from audit_log where action = 'ingest.apply' group by entity_id having count(*) <> 1`);
          expect(twice.rows).toEqual([]);
          const audited = await client.query(`select count(*)::int as n from audit_log where action = 'ingest.apply'`);
          expect(audited.rows[0].n).toBe(messy.applied.size);
        } finally {
          await client.end();
        }
      } finally {
        await t.drop();
      }
    });
  }
});

describe.each(ENGINES)('concurrent apply on %s', (engine) => {
  it('two workers on the same file apply every chunk once, with no false conflicts', async () => {
    const t = await createTestDatabase(engine);
    try {
      await seedTenant(t.db, { employees: EMPLOYEES });
      const [a, b] = await Promise.all([ingest(t), ingest(t)]);
      for (const s of [a, b]) {
        expect(s.status).toBe('applied');
        expect(s.reconciliation.conflicted).toBe(0);
        expect(s.reconciliation.applied).toBe(messy.applied.size);
        expect(s.reconciliation.crossChecksHold).toBe(true);
      }
      const { versions } = await recordsChecksum(t.db);
      for (const key of messy.applied.keys()) expect(versions.get(key), key).toBe(2);
    } finally {
      await t.drop();
    }
  });

  it('detects every concurrent edit committed between chunks: same field is a conflict, other fields merge', async () => {
    const t = await createTestDatabase(engine);
    const client = t.url ? new pg.Client({ connectionString: t.url }) : null;
    try {
      await seedTenant(t.db, { employees: EMPLOYEES });
      await client?.connect();
      // 1% of the records, all answered late in the file (employees 500+), edited two per chunk.
      const keys = [...messy.applied.keys()].filter((k) => Number(k.slice(1, 6)) > 500 && k.endsWith('|MED')).slice(0, 20);
      const ids = new Map<string, number>();
      for (const k of keys) {
        const [e, p] = k.split('|') as [string, string];
        const page = await t.db.unitOfWork((r) => r.benefitRecords.page(TENANT, VENDOR, { employeeId: e, planCode: p.slice(0, -1) }, 1));
        ids.set(k, page[0]!.recordId);
      }
      const edit = async (key: string, patch: Record<string, unknown>) => {
        if (client) {
          await client.query(`update benefit_records set fields = fields || $1::jsonb, version = version + 1 where record_id = $2`, [JSON.stringify(patch), ids.get(key)]);
        } else {
          const rec = await t.db.unitOfWork((r) => r.benefitRecords.get(ids.get(key)!));
          expect(await t.db.unitOfWork((r) => r.benefitRecords.updateFields(rec!.recordId, rec!.version, patch))).not.toBeNull();
        }
      };
      const sameField = keys.filter((_, i) => i % 2 === 0);
      const otherField = keys.filter((_, i) => i % 2 === 1);
      const s = await ingest(t, {
        hooks: {
          beforeChunk: async (chunk) => {
            if (chunk < 1 || chunk > 10) return;
            const k = chunk - 1;
            await edit(sameField[k]!, { monthlyPremium: '999.99' });
            await edit(otherField[k]!, { tier: 'FAM' });
          },
        },
      });
      expect(s.status).toBe('applied');
      const rec = s.reconciliation;
      expect(rec.conflicted).toBe(sameField.length);
      expect(rec.merged).toBe(otherField.length);
      expect(rec.receivedIdentityHolds).toBe(true);
      expect(rec.crossChecksHold).toBe(true);
      const { fields, versions } = await recordsChecksum(t.db);
      for (const k of sameField) {
        expect(fields.get(k)!.monthlyPremium, k).toBe('999.99'); // never overwritten silently
        expect(versions.get(k)).toBe(2);
      }
      for (const k of otherField) {
        expect(fields.get(k), k).toEqual({ ...messy.applied.get(k), tier: 'FAM' }); // both changes kept
        expect(versions.get(k)).toBe(3);
      }
      const conflicts = await t.db.unitOfWork((r) => r.ingest.conflictsPage(s.fileId, 0, 100));
      expect(conflicts.map((c) => c.recordId).sort((x, y) => x - y)).toEqual(sameField.map((k) => ids.get(k)!).sort((x, y) => x - y));
      expect(conflicts.every((c) => c.expectedVersion === 1 && c.actualVersion === 2)).toBe(true);
      // Each conflict names whose record it is (the discrepancy report's employee_id and plan_code).
      expect(conflicts.map((c) => `${c.employeeId}|${c.planCode}`).sort()).toEqual(sameField.map((k) => k.split('|').slice(0, 2).join('|')).sort());
    } finally {
      await client?.end();
      await t.drop();
    }
  });
});
void employeeId;
