import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../engines/database/open-database.js';
import type { Database } from '../../engines/database/port.js';
import { createLocalStore } from '../../engines/files/local-store.js';
import { deliverFile } from '../../pipeline/deliver/deliver-file.js';
import { createSessionPool } from '../../pipeline/deliver/session-pool.js';
import { fromVendorSpec } from '../../pipeline/deliver/vendor-endpoint.js';
import { pollInbox } from '../../pipeline/pickup/poll-inbox.js';
import { loadVendorSpecFile } from '../../vendors/load-spec.js';
import type { VendorSpec } from '../../vendors/spec-schema.js';
import { generateKeys } from '../../../test/support/sshd.js';
import { generateResponse } from './response-generator.js';
import { answerDeliveredFiles, startVendorSimulator } from './vendor-simulator.js';

const spec = (id: string) => loadVendorSpecFile(join(process.cwd(), 'examples/vendors', `${id}.yaml`));
const ids = Array.from({ length: 40 }, (_, i) => `E${String(i + 1).padStart(6, '0')}`);

/** A delivered file in the vendor's own outbound layout (only the fields the simulator reads need values). */
function delivered(s: VendorSpec): { name: string; body: Buffer } {
  const cols = s.outbound.columns ?? [];
  if (s.outbound.format === 'csv') {
    const values: Record<string, string> = { employee_id: '', plan_code: 'MED100', coverage_start: '01/01/2025', last_name: 'Doe, Jr.' };
    const lines = [cols.map((c) => c.name).join(','), ...ids.map((id) => cols.map((c) => (c.name === 'employee_id' ? id : values[c.name] ?? '').replace(/^(.*,.*)$/, '"$1"')).join(','))];
    return { name: 'ACME_ENROLL_T1_20250101_0007.csv', body: Buffer.from(`${lines.join('\r\n')}\r\n`) };
  }
  if (s.outbound.format === 'fixed-width') {
    const values: Record<string, string> = { record_type: 'D', plan_code: 'DEN200', coverage_start: '20250101' };
    const lines = ids.map((id) => cols.map((c) => (c.name === 'employee_id' ? id : values[c.name] ?? '').padEnd(c.width ?? 0).slice(0, c.width ?? 0)).join(''));
    return { name: 'BSD20250101.007.txt', body: Buffer.from(`${lines.join('\r\n')}\r\n`, 'latin1') };
  }
  const segs = ['ISA*00*          *00*          *ZZ*VENDORFLOW     *ZZ*SUMMITLIFE     *250101*1200*^*00501*000000001*0*T*:'];
  for (const id of ids) segs.push('INS*Y*18*021*28*A***FT', `REF*0F*${id}`, 'HD*021**LIF*BASIC1X', 'DTP*348*D8*20250101');
  return { name: 'SUMMIT_834_T1_202501011200_7.x12', body: Buffer.from(`${segs.join('~\n')}~\n`) };
}

describe.each(['acme-medical', 'bright-dental', 'summit-life'])('response generator for %s', (id) => {
  it('answers every member in the spec inbound columns, deterministically, with mess on by default', async () => {
    const s = spec(id);
    const d = delivered(s);
    const a = await generateResponse(s, d.name, d.body, { seed: 7 });
    const b = await generateResponse(s, d.name, d.body, { seed: 7 });
    expect(a.content.equals(b.content)).toBe(true);
    expect(a.content.equals((await generateResponse(s, d.name, d.body, { seed: 8 })).content)).toBe(false);
    expect(a.rows).toBe(ids.length + 4);
    const inbound = s.inbound!;
    if (inbound.format === 'fixed-width') {
      const lines = a.content.toString('latin1').split('\r\n').filter(Boolean);
      const width = inbound.columns.reduce((n, c) => n + (c.width ?? 0), 0);
      expect(lines.every((l) => l.length === width)).toBe(true);
      expect(lines.some((l) => l.includes('\u00A0'))).toBe(true);
      expect(lines.some((l) => l.includes(d.name))).toBe(true);
    } else {
      const text = a.content.toString('utf8');
      expect(text.startsWith('\uFEFF')).toBe(true);
      expect(text.includes('\r\n')).toBe(true);
      expect(text.slice(1, text.indexOf('\r\n'))).toBe(inbound.columns.map((c) => c.name).join(','));
      expect(/[\u200B\u00A0]/.test(text)).toBe(true);
      expect(text).toMatch(/[\n,]ZZ\d{6},/);
      if (inbound.columns.some((c) => c.name === 'id_card_url')) expect(text).toContain('http://10.20.30.40/');
      if (inbound.columns.some((c) => c.name === 'message')) expect(text).toContain('"Enrolled, ""per plan rules"", see notes"');
    }
    if (inbound.correlation.by === 'fileName') expect(a.name).toBe('ACME_RESP_T1_0007.csv');
  });

  it('turns mess off on request', async () => {
    const s = spec(id);
    const d = delivered(s);
    const clean = await generateResponse(s, d.name, d.body, { seed: 7, messy: false });
    expect(clean.rows).toBe(ids.length);
    expect(/[\uFEFF\u200B\u00A0]/.test(clean.content.toString('utf8'))).toBe(false);
  });
});

describe('vendor simulator', () => {
  const root = mkdtempSync(join(tmpdir(), 'vf-vendor-sim-'));
  let db: Database;
  beforeAll(async () => {
    db = await openDatabase({ engine: 'pglite', dataDir: null });
    await db.migrate();
    await db.unitOfWork((r) => r.tenants.ensure({ tenantId: 't1', name: 'T' }));
  });
  afterAll(async () => { await db.close(); rmSync(root, { recursive: true, force: true }); });

  it('answers through any files engine once per delivered file', async () => {
    const dir = join(root, 'local');
    const store = createLocalStore(dir);
    const s = spec('acme-medical');
    const d = delivered(s);
    await store.mkdirp(s.sftp.outbox);
    writeFileSync(join(dir, s.sftp.outbox, d.name), d.body);
    expect(await answerDeliveredFiles(store, [s], { seed: 1 })).toEqual([`${s.sftp.inbox}/ACME_RESP_T1_0007.csv`]);
    expect(readdirSync(join(dir, s.sftp.inbox)).filter((n) => n.endsWith('.done'))).toEqual([]);
    // A spec naming a done-marker: it is there, empty, beside the complete response.
    const markedDir = join(root, 'local-marked');
    const marked = { ...s, sftp: { ...s.sftp, doneMarker: '.done' } };
    mkdirSync(join(markedDir, s.sftp.outbox), { recursive: true });
    writeFileSync(join(markedDir, s.sftp.outbox, d.name), d.body);
    const [answer] = await answerDeliveredFiles(createLocalStore(markedDir), [marked], { seed: 1 });
    expect(readFileSync(join(markedDir, `${answer}.done`))).toHaveLength(0);
    expect(await answerDeliveredFiles(store, [s], { seed: 1 })).toEqual([]);
    // The same name delivered again (another run numbering from 1 on a fresh database) is answered again.
    const later = new Date(Date.now() + 5_000);
    writeFileSync(join(dir, s.sftp.outbox, d.name), d.body);
    utimesSync(join(dir, s.sftp.outbox, d.name), later, later);
    expect(await answerDeliveredFiles(store, [s], { seed: 1 })).toEqual([`${s.sftp.inbox}/ACME_RESP_T1_0007.csv`]);
    expect(await answerDeliveredFiles(store, [s], { seed: 1 })).toEqual([]);
  });

  it('over SFTP: the platform delivers, the simulator answers, pickup takes the response', async () => {
    const s = spec('acme-medical');
    const client = generateKeys();
    const sim = await startVendorSimulator({ root: join(root, 'sftp'), specs: [s], seed: 3, username: 'vendorflow', authorizedKeys: [client.publicKey], pollMs: 60_000 });
    const keyFile = join(root, 'client_key');
    writeFileSync(keyFile, client.privateKey, { mode: 0o600 });
    const endpoint = { ...fromVendorSpec(s), host: sim.server.host, port: sim.server.port, keyRef: `file:${keyFile}`, hostKeySha256: sim.server.hostKeySha256 };
    const sessions = createSessionPool();
    try {
      const d = delivered(s);
      const local = join(root, d.name);
      writeFileSync(local, d.body);
      await db.unitOfWork((r) => r.transfers.insertOutbound({ tenantId: 't1', fileId: 'o1', vendorId: s.id, kind: 'enrollment', name: d.name, size: d.body.length, sha256: createHash('sha256').update(d.body).digest('hex') }));
      await deliverFile({ db, sessions }, { tenantId: 't1', fileId: 'o1', localPath: local, endpoint });
      expect(await sim.answerNow()).toHaveLength(1);
      const taken: string[] = [];
      const poll = () => pollInbox({ db, sessions, spoolDir: join(root, 'spool') }, { tenantId: 't1', endpoint, handOn: async (f) => { taken.push(readFileSync(f.path, 'utf8')); } });
      await poll();
      await poll();
      expect(taken).toHaveLength(1);
      expect(taken[0]!.startsWith('\uFEFFemployee_id,plan_code')).toBe(true);
      expect(readdirSync(join(root, 'sftp', s.sftp.inbox)).filter((n) => !n.startsWith('.'))).toEqual(['archive']);
    } finally {
      await sessions.close();
      await sim.close();
    }
  }, 30_000);
});
