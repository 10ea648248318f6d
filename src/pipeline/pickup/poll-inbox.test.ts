import { createHash, randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import * as openpgp from 'openpgp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../engines/database/open-database.js';
import type { Database } from '../../engines/database/port.js';
import type { FileStore } from '../../engines/files/port.js';
import { ENDPOINT_KINDS, startEndpoint, type TestEndpoint } from '../../../test/support/file-endpoints.js';
import { connectSftp, createSessionPool, type Connect } from '../deliver/session-pool.js';
import type { VendorEndpoint } from '../deliver/vendor-endpoint.js';
import { pollInbox, type InboundFile, type PollRequest } from './poll-inbox.js';

const sha = (b: Buffer | Uint8Array) => createHash('sha256').update(b).digest('hex');
const tmp = mkdtempSync(join(tmpdir(), 'vf-pickup-'));
let db: Database;
let n = 0;

beforeAll(async () => {
  db = await openDatabase({ engine: 'pglite', dataDir: null });
  await db.migrate();
  await db.unitOfWork((r) => r.tenants.ensure({ tenantId: 't1', name: 'Tenant' }));
});
afterAll(async () => {
  await db.close();
  rmSync(tmp, { recursive: true, force: true });
});

function setup(ep: TestEndpoint, overrides: Partial<VendorEndpoint> = {}) {
  const id = ++n;
  const vendorId = `v${id}`;
  const inbox = `${ep.base}/in${id}`;
  mkdirSync(join(ep.onDisk, `in${id}`));
  const keyFile = join(tmp, `key-${id}`);
  if (ep.sftp?.privateKey) writeFileSync(keyFile, ep.sftp.privateKey, { mode: 0o600 });
  const endpoint: VendorEndpoint = {
    vendorId, host: ep.sftp?.host ?? 'local', port: ep.sftp?.port ?? 0, user: ep.sftp?.username ?? 'local', auth: 'key',
    keyRef: `file:${keyFile}`, hostKeySha256: ep.sftp?.hostKeySha256 ?? 'SHA256:local', outbox: `${ep.base}/out`, inbox,
    archive: { mode: 'move', dir: `${ep.base}/archive${id}` }, sha256Sidecar: false, ...overrides,
  };
  const connect: Connect | undefined = ep.kind === 'local' ? () => ep.open() : undefined;
  const handed: InboundFile[] = [];
  const spoolDir = join(tmp, `spool-${id}`);
  const poll = async (extra: Partial<PollRequest> = {}) => {
    const sessions = createSessionPool({ connect });
    try {
      return await pollInbox({ db, sessions, spoolDir }, { tenantId: 't1', endpoint, handOn: async (f) => { handed.push(f); }, ...extra });
    } finally {
      await sessions.close();
    }
  };
  return { endpoint, inboxOnDisk: join(ep.onDisk, `in${id}`), archiveOnDisk: join(ep.onDisk, `archive${id}`), handed, poll, spoolDir, vendorId };
}

describe.each(ENDPOINT_KINDS)('pollInbox on %s', (kind) => {
  let ep: TestEndpoint;
  beforeAll(async () => { ep = await startEndpoint(kind); }, 30_000);
  afterAll(async () => { await ep?.close(); });

  it('waits while a file grows, then downloads ~24 MB byte-identical and archives it', async () => {
    const s = setup(ep);
    const data = randomBytes(24 * 1024 * 1024 + 777);
    const path = join(s.inboxOnDisk, 'RESP_1.csv');
    writeFileSync(path, data.subarray(0, 1000));
    expect((await s.poll()).waiting).toEqual(['RESP_1.csv']);
    appendFileSync(path, data.subarray(1000));
    expect((await s.poll()).waiting).toEqual(['RESP_1.csv']);
    const third = await s.poll();
    expect(third.taken.map((f) => f.name)).toEqual(['RESP_1.csv']);
    expect(sha(readFileSync(third.taken[0]!.path))).toBe(sha(data));
    expect(third.taken[0]!.sha256).toBe(sha(data));
    expect(readdirSync(s.inboxOnDisk)).toEqual([]);
    expect(readdirSync(s.archiveOnDisk)).toEqual([expect.stringMatching(/^RESP_1\.csv\.\d{8}T\d{6}$/)]);
    const row = await db.unitOfWork((r) => r.transfers.get('t1', third.taken[0]!.fileId));
    expect(row).toMatchObject({ direction: 'in', status: 'handed-on', size: data.length, sha256: sha(data), vendorId: s.vendorId });
  }, 60_000);

  it('hands a file on once: seen in two polls, after a restart, and re-sent under another name', async () => {
    const s = setup(ep, { archive: { mode: 'delete' } });
    const data = Buffer.from('employee_id,premium\nE1,"1,234.50"\n');
    writeFileSync(join(s.inboxOnDisk, 'A.csv'), data);
    await s.poll();
    // The first hand-on fails as a crash would, after the identity was claimed.
    await expect(s.poll({ handOn: async () => { throw new Error('worker died'); } })).rejects.toThrow('worker died');
    const afterRestart = await s.poll();
    expect(afterRestart.taken.map((f) => f.name)).toEqual(['A.csv']);
    writeFileSync(join(s.inboxOnDisk, 'A-resend.csv'), data);
    await s.poll();
    const resent = await s.poll();
    expect(resent.duplicates).toEqual([{ name: 'A-resend.csv', fileId: afterRestart.taken[0]!.fileId }]);
    expect(s.handed.map((f) => f.name)).toEqual(['A.csv']);
    expect(readdirSync(s.inboxOnDisk)).toEqual([]);
    const events = await db.unitOfWork((r) => r.transfers.events('t1', afterRestart.taken[0]!.fileId));
    expect(events.map((e) => e.outcome)).toEqual(['received', 'hand-on-retry', 'duplicate']);
    expect(events[2]!.error).toContain('A-resend.csv');
  }, 30_000);

  it('the same bytes answering two deliveries are two responses; sent again for the same delivery, one', async () => {
    const s = setup(ep, { archive: { mode: 'delete' } });
    // Nothing changed between two deliveries, and the vendor names the delivery only in the file name.
    const data = Buffer.from('employee_id,premium\nE1,"1,234.50"\n');
    const correlate = async ({ name }: { name: string }) => `out-${/_(\d+)\.csv$/.exec(name)?.[1] ?? 'none'}`;
    const pollUntilTaken = async () => { await s.poll({ correlate }); return s.poll({ correlate }); };
    writeFileSync(join(s.inboxOnDisk, 'RESP_1.csv'), data);
    const first = await pollUntilTaken();
    writeFileSync(join(s.inboxOnDisk, 'RESP_2.csv'), data);
    const second = await pollUntilTaken();
    writeFileSync(join(s.inboxOnDisk, 'RESP_2-again_2.csv'), data);
    const again = await pollUntilTaken();
    expect(first.taken.map((f) => [f.name, f.answersFileId])).toEqual([['RESP_1.csv', 'out-1']]);
    expect(second.taken.map((f) => [f.name, f.answersFileId])).toEqual([['RESP_2.csv', 'out-2']]);
    expect(second.taken[0]!.fileId).not.toBe(first.taken[0]!.fileId);
    expect(again.duplicates).toEqual([{ name: 'RESP_2-again_2.csv', fileId: second.taken[0]!.fileId }]);
    expect(s.handed.map((f) => f.name)).toEqual(['RESP_1.csv', 'RESP_2.csv']);
    const rows = await Promise.all([first, second].map((p) => db.unitOfWork((r) => r.transfers.get('t1', p.taken[0]!.fileId))));
    expect(rows.map((r) => r?.answersFileId)).toEqual(['out-1', 'out-2']);
  }, 30_000);

  it('with a done-marker, takes a file as soon as its marker exists and removes both', async () => {
    const s = setup(ep, { doneMarker: '.done', archive: { mode: 'delete' } });
    writeFileSync(join(s.inboxOnDisk, 'B.txt'), 'x');
    expect((await s.poll()).waiting).toEqual(['B.txt']);
    expect((await s.poll()).waiting).toEqual(['B.txt']);
    writeFileSync(join(s.inboxOnDisk, 'B.txt.done'), '');
    expect((await s.poll()).taken.map((f) => f.name)).toEqual(['B.txt']);
    expect(readdirSync(s.inboxOnDisk)).toEqual([]);
  }, 30_000);

  it('with a .sha256 sidecar, waits for it, takes a matching file and quarantines a mismatching one', async () => {
    const s = setup(ep, { sha256Sidecar: true });
    const good = Buffer.from('employee_id,status\nE1,ok\n');
    writeFileSync(join(s.inboxOnDisk, 'G.csv'), good);
    writeFileSync(join(s.inboxOnDisk, 'M.csv'), 'employee_id,status\nE2,ok\n');
    await s.poll();
    expect((await s.poll()).waiting).toEqual(['G.csv', 'M.csv']);
    writeFileSync(join(s.inboxOnDisk, 'G.csv.sha256'), `${sha(good)}  G.csv\n`);
    writeFileSync(join(s.inboxOnDisk, 'M.csv.sha256'), `${sha(good)}  M.csv\n`);
    const r = await s.poll();
    expect(r.taken.map((f) => f.name)).toEqual(['G.csv']);
    expect(r.rejected).toEqual([{ name: 'M.csv', fileId: expect.stringMatching(/^in_/), error: expect.stringContaining('does not match its .sha256 sidecar') }]);
    expect(s.handed.map((f) => f.name)).toEqual(['G.csv']);
    expect(readdirSync(s.inboxOnDisk)).toEqual([]);
    expect(readdirSync(s.archiveOnDisk).sort()).toEqual([
      expect.stringMatching(/^G\.csv\.\d{8}T\d{6}$/), expect.stringMatching(/^G\.csv\.sha256\.\d{8}T\d{6}$/),
      expect.stringMatching(/^M\.csv\.\d{8}T\d{6}\.rejected$/), expect.stringMatching(/^M\.csv\.sha256\.\d{8}T\d{6}\.rejected$/),
    ]);
    const row = await db.unitOfWork((x) => x.transfers.get('t1', r.rejected[0]!.fileId));
    expect(row).toMatchObject({ direction: 'in', status: 'quarantined', name: 'M.csv', sha256: null, error: expect.stringContaining('TRANSFER_VERIFY_FAILED') });
  }, 30_000);
});

describe('pollInbox with PGP', () => {
  let ep: TestEndpoint;
  let keys: { privateKey: string; publicKey: string };
  let vendorKeys: { privateKey: string; publicKey: string };
  beforeAll(async () => {
    ep = await startEndpoint('embedded');
    keys = await openpgp.generateKey({ type: 'curve25519', userIDs: [{ name: 'us', email: 'files@example.com' }], format: 'armored' });
    vendorKeys = await openpgp.generateKey({ type: 'curve25519', userIDs: [{ name: 'vendor', email: 'v@example.com' }], format: 'armored' });
  }, 30_000);
  afterAll(async () => { await ep?.close(); });

  const encrypt = async (data: Buffer, armor: boolean) => {
    const message = await openpgp.createMessage({ binary: data });
    const encryptionKeys = await openpgp.readKey({ armoredKey: keys.publicKey });
    const signingKeys = await openpgp.readPrivateKey({ armoredKey: vendorKeys.privateKey });
    if (armor) return Buffer.from(await openpgp.encrypt({ message, encryptionKeys, signingKeys, format: 'armored' }));
    return Buffer.from(await openpgp.encrypt({ message, encryptionKeys, signingKeys, format: 'binary' }));
  };

  it('decrypts and verifies binary and armored files with the keys the spec names; identity is the plaintext hash', async () => {
    const keyFile = join(tmp, 'our-pgp.asc');
    const vendorKeyFile = join(tmp, 'vendor-pgp.pub.asc');
    writeFileSync(keyFile, keys.privateKey, { mode: 0o600 });
    writeFileSync(vendorKeyFile, vendorKeys.publicKey);
    const s = setup(ep, { archive: { mode: 'delete' }, inboundPgp: { privateKeyRef: `file:${keyFile}`, verificationKeyRefs: [`file:${vendorKeyFile}`] } });
    const plain = randomBytes(3 * 1024 * 1024);
    writeFileSync(join(s.inboxOnDisk, 'R1.csv.pgp'), await encrypt(plain, false));
    writeFileSync(join(s.inboxOnDisk, 'R2.csv.asc'), await encrypt(plain, true));
    await s.poll();
    const r = await s.poll();
    expect(r.taken.map((f) => f.name)).toEqual(['R1.csv.pgp']);
    expect(r.duplicates.map((f) => f.name)).toEqual(['R2.csv.asc']);
    expect(sha(readFileSync(r.taken[0]!.path))).toBe(sha(plain));
  }, 30_000);

  it('rejects a tampered file before anything reaches ingest, and quarantines it', async () => {
    const s = setup(ep, { archive: { mode: 'delete' } });
    const good = await encrypt(Buffer.from('employee_id,premium\n'.repeat(50_000)), false);
    good[Math.floor(good.length / 2)]! ^= 0x20;
    writeFileSync(join(s.inboxOnDisk, 'BAD.csv.pgp'), good);
    const decrypt = { privateKeyArmored: keys.privateKey };
    await s.poll({ decrypt });
    const r = await s.poll({ decrypt });
    expect(r.taken).toEqual([]);
    expect(r.rejected).toEqual([{ name: 'BAD.csv.pgp', fileId: expect.stringMatching(/^in_/), error: expect.stringContaining('cannot decrypt and verify BAD.csv.pgp') }]);
    // Operators see it where they look for files: a row with the reason, and its event.
    const row = await db.unitOfWork((x) => x.transfers.get('t1', r.rejected[0]!.fileId));
    expect(row).toMatchObject({ vendorId: s.vendorId, direction: 'in', status: 'quarantined', size: good.length, sha256: null, error: expect.stringMatching(/^PGP_VERIFY_FAILED: .*SHA-256 [0-9a-f]{64}/) });
    const events = await db.unitOfWork((x) => x.transfers.events('t1', r.rejected[0]!.fileId));
    expect(events.map((e) => [e.kind, e.outcome, e.bytes])).toEqual([['pickup', 'quarantined', good.length]]);
    expect(s.handed).toEqual([]);
    expect(readdirSync(join(s.spoolDir, 'quarantine'))).toEqual([expect.stringMatching(/BAD\.csv\.pgp$/)]);
    expect(existsSync(join(s.spoolDir, 'inbound')) ? readdirSync(join(s.spoolDir, 'inbound')) : []).toEqual([]);
    expect(readdirSync(join(s.spoolDir, 'download'))).toEqual([]);
    expect(readdirSync(s.inboxOnDisk)).toEqual([]);
  }, 30_000);

  it('decrypts while downloading, and a download cut off part-way is a transfer failure (nothing quarantined, nothing left)', async () => {
    const s = setup(ep, { archive: { mode: 'delete' }, doneMarker: '.done' });
    const plain = randomBytes(2 * 1024 * 1024);
    const encrypted = await encrypt(plain, false);
    writeFileSync(join(s.inboxOnDisk, 'CUT.csv.pgp'), encrypted);
    writeFileSync(join(s.inboxOnDisk, 'CUT.csv.pgp.done'), '');
    const decrypt = { privateKeyArmored: keys.privateKey };
    // The session's reads stop with an error after half the file, as a dropped connection would.
    const cutConnect: Connect = async (endpoint) => {
      const store = await connectSftp(endpoint);
      return Object.assign(Object.create(store) as FileStore, {
        read: (path: string) => {
          let sent = 0;
          const cut = new Transform({
            transform(chunk: Buffer, _e, cb) {
              sent += chunk.length;
              if (sent > encrypted.length / 2) cb(new Error('connection reset'));
              else cb(null, chunk);
            },
          });
          return store.read(path).pipe(cut);
        },
      });
    };
    const pollWith = async (connect?: Connect) => {
      const sessions = createSessionPool(connect ? { connect } : {});
      try {
        return await pollInbox({ db, sessions, spoolDir: s.spoolDir }, { tenantId: 't1', endpoint: s.endpoint, decrypt, handOn: async (f) => { s.handed.push(f); } });
      } finally {
        await sessions.close();
      }
    };
    await expect(pollWith(cutConnect)).rejects.toThrow(/connection reset/);
    expect(readdirSync(join(s.spoolDir, 'download'))).toEqual([]);
    expect(existsSync(join(s.spoolDir, 'quarantine')) ? readdirSync(join(s.spoolDir, 'quarantine')) : []).toEqual([]);
    expect(s.handed).toEqual([]);
    // The file stays in the inbox, and the next poll over a sound connection takes it whole.
    const r = await pollWith();
    expect(r.taken.map((f) => f.name)).toEqual(['CUT.csv.pgp']);
    expect(sha(readFileSync(r.taken[0]!.path))).toBe(sha(plain));
  }, 30_000);

  it('rejects an unsigned file when the vendor key is pinned for signatures', async () => {
    const s = setup(ep, { archive: { mode: 'delete' } });
    const message = await openpgp.createMessage({ binary: Buffer.from('a,b\n') });
    const out = await openpgp.encrypt({ message, encryptionKeys: await openpgp.readKey({ armoredKey: keys.publicKey }), format: 'binary' });
    writeFileSync(join(s.inboxOnDisk, 'U.pgp'), Buffer.from(out as Uint8Array));
    const decrypt = { privateKeyArmored: keys.privateKey, verificationKeysArmored: [vendorKeys.publicKey] };
    await s.poll({ decrypt });
    expect((await s.poll({ decrypt })).rejected.map((x) => x.name)).toEqual(['U.pgp']);
    expect(s.handed).toEqual([]);
  }, 30_000);
});
