import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { parse } from 'csv-parse/sync';
import * as openpgp from 'openpgp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, ENGINES, type TestDatabase } from '../../../test/support/databases.js';
import { enrolledEmployees } from '../../../test/support/enrolled-employees.js';
import { exampleSpec, SETTINGS } from '../../../test/support/render-records.js';
import type { EmployeeSnapshot } from '../../shared/snapshot.js';
import { createPiiCipher } from '../../security/pii-cipher.js';
import { toEmployeeRow } from '../load-employees.js';
import { read834 } from '../format/x12-834-reader.js';
import { generateFile, type GenerateFileInput } from './generate-file.js';
import { markFileDelivered } from './mark-file-delivered.js';

const TENANT = 'acme-corp';
const NOW = new Date('2024-03-15T15:30:00Z');
const pii = createPiiCipher(randomBytes(32));

async function putRun(db: TestDatabase['db'], runId: string, employees: EmployeeSnapshot[], incomplete: string[] = []): Promise<void> {
  await db.unitOfWork(async (r) => {
    await r.tenants.ensure({ tenantId: TENANT, name: 'Acme Corp' });
    await r.gather.ensureRun({ tenantId: TENANT, runId, gatherMode: 'batched' });
    await r.gather.upsertSnapshots([
      ...employees.map((s) => {
        const row = toEmployeeRow(TENANT, s, pii);
        return { tenantId: TENANT, runId, employeeId: s.employeeId, batchId: 'B1', version: s.version, status: 'complete' as const, reason: null, data: row.data, pii: row.pii };
      }),
      ...incomplete.map((id) => ({ tenantId: TENANT, runId, employeeId: id, batchId: 'B1', version: null, status: 'incomplete' as const, reason: 'timeout', data: null, pii: null })),
    ]);
  });
}

/** The action column of a change file, per employee (subscriber lines only). */
function actions(path: string): Record<string, string> {
  const rows = parse(readFileSync(path), { relax_column_count: true, columns: true }) as Array<Record<string, string>>;
  return Object.fromEntries(rows.filter((r) => r.record_type === 'D' && r.member_seq === '0').map((r) => [r.employee_id, r.action!]));
}

describe.each(ENGINES)('generating outbound files on %s', (engine) => {
  let t: TestDatabase;
  let spool: string;
  const base = () => ({ db: t.db, pii, tenantId: TENANT, spoolDir: spool, now: NOW, pageSize: 7 }) as const;
  const medical = exampleSpec('acme-medical');
  const run1 = enrolledEmployees(20);

  beforeAll(async () => {
    t = await createTestDatabase(engine);
    spool = mkdtempSync(join(tmpdir(), 'vf-spool-'));
    await putRun(t.db, 'R1', run1);
    await t.db.unitOfWork((r) => r.outboundFiles.putTenantVendor(TENANT, medical.id, SETTINGS));
  });
  afterAll(async () => {
    await t?.drop();
    rmSync(spool, { recursive: true, force: true });
  });

  it('writes a full file, its file_members and new benefit records, and change files with the right codes', async () => {
    const full = await generateFile({ ...base(), runId: 'R1', vendorSpec: medical, kind: 'full', cycleId: null });
    expect(full.name).toBe('ACME_ENROLL_acme-corp_20240315_0001.csv');
    expect(full.codes).toEqual({ '030': 20 });
    expect(new Set(Object.values(actions(full.path)))).toEqual(new Set(['AUD']));
    const bytes = readFileSync(full.path);
    expect(full.size).toBe(bytes.length);
    const members = await t.db.unitOfWork((r) => r.outboundFiles.membersPage(TENANT, full.fileId, null, 1000));
    expect(members.length).toBe(20);
    expect(members.every((m) => m.recordVersion === 1 && m.maintenanceCode === '030')).toBe(true);
    // The stored image keeps sensitive values sealed, not in plain JSON.
    expect(JSON.stringify(members[0]!.sent)).not.toContain(run1[0]!.person.ssn);

    // Generated but not delivered: a change file still sees no baseline, so everything is an addition.
    const undelivered = await generateFile({ ...base(), runId: 'R1', vendorSpec: medical, kind: 'change', cycleId: null });
    expect(undelivered.codes).toEqual({ '021': 20 });

    await markFileDelivered({ db: t.db, tenantId: TENANT, fileId: full.fileId });
    expect(await markFileDelivered({ db: t.db, tenantId: TENANT, fileId: full.fileId })).toMatchObject({ alreadyDelivered: true });

    // Next run: one changed, one terminated, one gone, one new, one whose gather failed.
    const run2 = structuredClone(run1).filter((e) => e.employeeId !== 'E000003' && e.employeeId !== 'E000005');
    run2.find((e) => e.employeeId === 'E000001')!.person.lastName = 'Renamed';
    const term = run2.find((e) => e.employeeId === 'E000002')!;
    term.employment.status = 'terminated';
    term.employment.terminationDate = '2024-03-01';
    run2.push(enrolledEmployees(21)[20]!);
    await putRun(t.db, 'R2', run2, ['E000005']);

    const change = await generateFile({ ...base(), runId: 'R2', vendorSpec: medical, kind: 'change', cycleId: null });
    expect(actions(change.path)).toEqual({ E000001: 'CHG', E000002: 'TRM', E000003: 'TRM', E000021: 'ADD' });
    expect(change.codes).toEqual({ '001': 1, '024': 2, '021': 1 });
    expect(change.incomplete).toBe(1);
    // The gone member is terminated with exactly what the vendor had, sensitive values included.
    const gone = (parse(readFileSync(change.path), { columns: true, relax_column_count: true }) as Array<Record<string, string>>).find((r) => r.employee_id === 'E000003' && r.member_seq === '0');
    const dob = run1[2]!.person.dateOfBirth.split('-');
    expect(gone).toMatchObject({ last_name: run1[2]!.person.lastName, ssn: run1[2]!.person.ssn, birth_date: `${dob[1]}/${dob[2]}/${dob[0]}` });

    // Undelivered, a second change file gives the same codes; delivered, the third is empty.
    const again = await generateFile({ ...base(), runId: 'R2', vendorSpec: medical, kind: 'change', cycleId: null });
    expect(again.codes).toEqual(change.codes);
    await markFileDelivered({ db: t.db, tenantId: TENANT, fileId: again.fileId });
    const quiet = await generateFile({ ...base(), runId: 'R2', vendorSpec: medical, kind: 'change', cycleId: null });
    expect(quiet.records).toBe(0);
    expect(actions(quiet.path)).toEqual({});
  });

  it('regenerating a file keeps its seq and control numbers; a new file takes the next', async () => {
    await t.db.unitOfWork((r) => r.cycles.createMany([{ tenantId: TENANT, cycleId: 'C-regen', runId: 'R1', vendorId: medical.id, kind: 'full', scheduledFor: NOW, trigger: 'manual' }]));
    const first = await generateFile({ ...base(), runId: 'R1', vendorSpec: medical, kind: 'full', cycleId: 'C-regen' });
    const again = await generateFile({ ...base(), runId: 'R1', vendorSpec: medical, kind: 'full', cycleId: 'C-regen' });
    const byId = await generateFile({ ...base(), runId: 'R1', vendorSpec: medical, kind: 'full', cycleId: null, fileId: first.fileId });
    expect(byId).toMatchObject({ fileId: first.fileId, seq: first.seq, controlNumber: first.controlNumber });
    expect(again).toMatchObject({ fileId: first.fileId, seq: first.seq, controlNumber: first.controlNumber, name: first.name, regenerated: true, sha256: first.sha256 });
    const members = await t.db.unitOfWork((r) => r.outboundFiles.membersPage(TENANT, first.fileId, null, 1000));
    expect(members.length).toBe(20);
    const next = await generateFile({ ...base(), runId: 'R1', vendorSpec: medical, kind: 'full', cycleId: null });
    expect([next.seq, next.controlNumber]).toEqual([first.seq + 1, first.controlNumber + 1]);
  });
});

describe('834 change file, gzip and PGP', () => {
  let t: TestDatabase;
  let spool: string;
  const life = exampleSpec('summit-life');
  beforeAll(async () => {
    t = await createTestDatabase('pglite');
    spool = mkdtempSync(join(tmpdir(), 'vf-spool-'));
    await putRun(t.db, 'R1', enrolledEmployees(12));
    await t.db.unitOfWork((r) => r.outboundFiles.putTenantVendor(TENANT, life.id, SETTINGS));
  });
  afterAll(async () => {
    await t?.drop();
    rmSync(spool, { recursive: true, force: true });
  });
  const base = () => ({ db: t.db, pii, tenantId: TENANT, spoolDir: spool, now: NOW }) as Omit<GenerateFileInput, 'runId' | 'vendorSpec' | 'kind' | 'cycleId'>;

  it('terminates a member who left with the identity the carrier holds, in a well-formed 834', async () => {
    const full = await generateFile({ ...base(), runId: 'R1', vendorSpec: life, kind: 'full', cycleId: null });
    const f = read834(readFileSync(full.path, 'ascii'));
    expect(f.problems).toEqual([]);
    // One pass: the members were rendered before the header that counts them, held sealed, then removed.
    expect(f.transaction.quantities.ET).toBe(full.records);
    expect(f.transaction.quantities.DT).toBe(f.members.filter((m) => !m.subscriber).length);
    expect(f.transaction.quantities.TO).toBe(f.members.length);
    expect(readdirSync(spool, { recursive: true }).filter((n) => String(n).endsWith('.members'))).toEqual([]);
    await markFileDelivered({ db: t.db, tenantId: TENANT, fileId: full.fileId });
    const run2 = enrolledEmployees(12).filter((e) => e.employeeId !== 'E000004');
    await putRun(t.db, 'R2', run2);
    const change = await generateFile({ ...base(), runId: 'R2', vendorSpec: life, kind: 'change', cycleId: null });
    const c = read834(readFileSync(change.path, 'ascii'));
    expect(c.problems).toEqual([]);
    expect(c.transaction.action).toBe('2');
    expect(c.members).toHaveLength(1);
    const left = enrolledEmployees(12)[3]!;
    expect(c.members[0]).toMatchObject({ maintenanceCode: '024', subscriberId: 'E000004', id: left.person.ssn, dateOfBirth: left.person.dateOfBirth });
    expect(c.members[0]!.coverages[0]!.dates).toMatchObject({ 349: '2024-03-15' });
    expect(c.interchange.controlNumber).toBe(String(change.controlNumber).padStart(9, '0'));
  });

  it('gzips and encrypts to bytes that decrypt (openpgp and gpg) to the plain file', async () => {
    const { privateKey, publicKey } = await openpgp.generateKey({ type: 'ecc', userIDs: [{ name: 'Carrier', email: 'edi@carrier.example' }], format: 'armored' });
    const keyFile = join(spool, 'carrier.asc');
    writeFileSync(keyFile, publicKey);
    const plain = await generateFile({ ...base(), runId: 'R1', vendorSpec: life, kind: 'full', cycleId: null });
    const expected = readFileSync(plain.path);

    const zipped = { ...life, outbound: { ...life.outbound, gzip: true } };
    const gz = await generateFile({ ...base(), runId: 'R1', vendorSpec: zipped, kind: 'full', cycleId: null, fileId: plain.fileId });
    expect(gz.name.endsWith('.x12.gz')).toBe(true);
    expect(gunzipSync(readFileSync(gz.path)).equals(expected)).toBe(true);

    const sealed = { ...life, outbound: { ...life.outbound, pgp: { recipientKey: `file:${keyFile}` } } };
    const enc = await generateFile({ ...base(), runId: 'R1', vendorSpec: sealed, kind: 'full', cycleId: null, fileId: plain.fileId });
    expect(enc).toMatchObject({ fileId: plain.fileId, controlNumber: plain.controlNumber });
    const cipher = readFileSync(enc.path);
    expect(cipher.includes(Buffer.from('ISA*'))).toBe(false);
    const { data } = await openpgp.decrypt({
      message: await openpgp.readMessage({ binaryMessage: cipher }),
      decryptionKeys: await openpgp.readPrivateKey({ armoredKey: privateKey }), format: 'binary',
    });
    expect(Buffer.from(data as Uint8Array).equals(expected)).toBe(true);

    const home = mkdtempSync(join(tmpdir(), 'vf-gpg-'));
    try {
      execFileSync('gpg', ['--homedir', home, '--batch', '--import'], { input: privateKey, stdio: ['pipe', 'ignore', 'ignore'] });
      const out = execFileSync('gpg', ['--homedir', home, '--batch', '--pinentry-mode', 'loopback', '--passphrase', '', '--decrypt', enc.path], { stdio: ['ignore', 'pipe', 'ignore'] });
      expect(out.equals(expected)).toBe(true);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
