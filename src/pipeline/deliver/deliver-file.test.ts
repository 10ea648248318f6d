import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../engines/database/open-database.js';
import type { Database } from '../../engines/database/port.js';
import { startCuttingProxy } from '../../../test/support/cutting-proxy.js';
import { ENDPOINT_KINDS, startEndpoint, type TestEndpoint } from '../../../test/support/file-endpoints.js';
import { generateKeys } from '../../../test/support/sshd.js';
import { startSftpServer } from '../../engines/files/sftp-server.js';
import { CHECKPOINT_BYTES, deliverFile } from './deliver-file.js';
import { createSessionPool, type Connect } from './session-pool.js';
import type { VendorEndpoint } from './vendor-endpoint.js';

const MB = 1024 * 1024;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const noSleep = async () => undefined;
const tmp = mkdtempSync(join(tmpdir(), 'vf-deliver-'));
let db: Database;
let seq = 0;

beforeAll(async () => {
  db = await openDatabase({ engine: 'pglite', dataDir: null });
  await db.migrate();
  await db.unitOfWork((r) => r.tenants.ensure({ tenantId: 't1', name: 'Tenant' }));
});
afterAll(async () => {
  await db.close();
  rmSync(tmp, { recursive: true, force: true });
});

/** A spooled file of `size` random bytes with its outbound row. */
async function spool(size: number): Promise<{ fileId: string; name: string; path: string; data: Buffer }> {
  const data = randomBytes(size);
  const fileId = `f${++seq}`;
  const name = `ACME_ENROLL_${seq}.csv`;
  const path = join(tmp, name);
  writeFileSync(path, data);
  await db.unitOfWork((r) => r.transfers.insertOutbound({ tenantId: 't1', fileId, vendorId: 'acme', kind: 'enrollment', name, size, sha256: sha(data) }));
  return { fileId, name, path, data };
}

function endpointFor(ep: TestEndpoint, overrides: Partial<VendorEndpoint> = {}): VendorEndpoint {
  const keyFile = join(tmp, `key-${ep.kind}`);
  if (ep.sftp?.privateKey) writeFileSync(keyFile, ep.sftp.privateKey, { mode: 0o600 });
  return {
    vendorId: 'acme', host: ep.sftp?.host ?? 'local', port: ep.sftp?.port ?? 0, user: ep.sftp?.username ?? 'local', auth: 'key',
    keyRef: `file:${keyFile}`, hostKeySha256: ep.sftp?.hostKeySha256 ?? 'SHA256:local', outbox: ep.base, inbox: `${ep.base}/in`,
    archive: { mode: 'delete' }, sha256Sidecar: false, ...overrides,
  };
}

/** Local endpoints have no SSH; SFTP ones go through the real connector (secret refs, pinning). */
function connectFor(ep: TestEndpoint): Connect | undefined {
  return ep.kind === 'local' ? () => ep.open() : undefined;
}

async function events(fileId: string) {
  return db.unitOfWork((r) => r.transfers.events('t1', fileId));
}

describe.each(ENDPOINT_KINDS)('deliverFile on %s', (kind) => {
  let ep: TestEndpoint;
  beforeAll(async () => { ep = await startEndpoint(kind); }, 30_000);
  afterAll(async () => { await ep?.close(); });

  it('uploads ~24 MB across three checkpoints, byte-identical when read back, under the final name only', async () => {
    const f = await spool(24 * MB + 4321);
    const sessions = createSessionPool({ connect: connectFor(ep) });
    const checkpoints: number[] = [];
    try {
      const result = await deliverFile({ db, sessions, sleep: noSleep }, {
        tenantId: 't1', fileId: f.fileId, localPath: f.path, endpoint: endpointFor(ep),
        onProgress: ({ sent }) => { if (sent % CHECKPOINT_BYTES < 300_000) checkpoints.push(sent); },
      });
      expect(result).toMatchObject({ remotePath: `${ep.base}/${f.name}`, size: f.data.length, attempts: 1, alreadyDelivered: false });
      const store = await ep.open();
      const h = createHash('sha256');
      for await (const c of store.read(result.remotePath)) h.update(c as Buffer);
      await store.close();
      expect(h.digest('hex')).toBe(sha(f.data));
      expect(readdirSync(ep.onDisk).filter((n) => n.includes(f.name))).toEqual([f.name]);
      const row = await db.unitOfWork((r) => r.transfers.get('t1', f.fileId));
      expect(row).toMatchObject({ status: 'delivered', resumeOffset: f.data.length, remotePath: result.remotePath, error: null });
      expect((await events(f.fileId)).map((e) => e.outcome)).toEqual(['started', 'delivered']);
      expect(checkpoints.length).toBeGreaterThanOrEqual(3);
      // Delivering again is a no-op.
      const again = await deliverFile({ db, sessions, sleep: noSleep }, { tenantId: 't1', fileId: f.fileId, localPath: f.path, endpoint: endpointFor(ep) });
      expect(again).toMatchObject({ alreadyDelivered: true, bytesSent: 0 });
    } finally {
      await sessions.close();
    }
  }, 60_000);

  it('resumes from the saved offset and truncates what lies past it (no zero-filled hole survives)', async () => {
    const f = await spool(10 * MB);
    // A previous attempt acknowledged 8 MB; past that the server holds a hole and stray bytes.
    const temp = join(ep.onDisk, `.${f.name}.part`);
    const damaged = Buffer.concat([f.data.subarray(0, 8 * MB), Buffer.alloc(MB), randomBytes(2 * MB)]);
    writeFileSync(temp, damaged);
    await db.unitOfWork((r) => r.transfers.update('t1', f.fileId, { status: 'uploading', resumeOffset: 8 * MB }));
    const sessions = createSessionPool({ connect: connectFor(ep) });
    try {
      const result = await deliverFile({ db, sessions, sleep: noSleep }, { tenantId: 't1', fileId: f.fileId, localPath: f.path, endpoint: endpointFor(ep) });
      expect(result.bytesSent).toBe(2 * MB);
      expect(sha(readFileSync(join(ep.onDisk, f.name)))).toBe(sha(f.data));
      expect(readdirSync(ep.onDisk).filter((n) => n.includes(f.name))).toEqual([f.name]);
    } finally {
      await sessions.close();
    }
  }, 60_000);

  it('writes a sha256sum sidecar when the spec asks and reuses one session for several files', async () => {
    const files = [await spool(200_000), await spool(300_000)];
    let connects = 0;
    const base = connectFor(ep);
    const { connectSftp } = await import('./session-pool.js');
    const sessions = createSessionPool({ connect: async (e) => { connects++; return (base ?? connectSftp)(e); } });
    try {
      for (const f of files) {
        await deliverFile({ db, sessions, sleep: noSleep }, { tenantId: 't1', fileId: f.fileId, localPath: f.path, endpoint: endpointFor(ep, { sha256Sidecar: true }) });
        expect(readFileSync(join(ep.onDisk, `${f.name}.sha256`), 'utf8')).toBe(`${sha(f.data)}  ${f.name}\n`);
      }
      expect(connects).toBe(1);
    } finally {
      await sessions.close();
    }
  }, 60_000);
});

describe.each(ENDPOINT_KINDS.filter((k) => k !== 'local'))('deliverFile over a link that drops (%s)', (kind) => {
  let ep: TestEndpoint;
  beforeAll(async () => { ep = await startEndpoint(kind); }, 30_000);
  afterAll(async () => { await ep?.close(); });

  it.each([
    [[300_000]],
    [[3 * MB, 9 * MB]],
    [[11 * MB, 2 * MB, 17 * MB]],
  ])('cut after %j bytes: one complete file, no temp file, bounded re-sends', async (cuts) => {
    const f = await spool(20 * MB);
    const proxy = await startCuttingProxy({ host: ep.sftp!.host, port: ep.sftp!.port }, cuts);
    const sessions = createSessionPool();
    try {
      const result = await deliverFile({ db, sessions, sleep: noSleep }, {
        tenantId: 't1', fileId: f.fileId, localPath: f.path, endpoint: endpointFor(ep, { port: proxy.port }),
        retry: { attempts: cuts.length + 2, baseDelayMs: 1, maxDelayMs: 1 },
      });
      expect(sha(readFileSync(join(ep.onDisk, f.name)))).toBe(sha(f.data));
      expect(readdirSync(ep.onDisk).filter((n) => n.includes(f.name))).toEqual([f.name]);
      expect(result.attempts).toBeGreaterThan(1);
      expect(result.bytesSent).toBeLessThanOrEqual(f.data.length + result.attempts * CHECKPOINT_BYTES);
      const attempts = (await events(f.fileId)).filter((e) => e.outcome !== 'started');
      expect(attempts.map((e) => e.outcome)).toEqual([...Array(result.attempts - 1).fill('failed'), 'delivered']);
      expect(attempts.reduce((n, e) => n + (e.bytes ?? 0), 0)).toBe(result.bytesSent);
    } finally {
      await sessions.close();
      await proxy.close();
    }
  }, 90_000);

  it('fails at once, naming the directory, when the outbox does not exist (no retries, nothing written)', async () => {
    const f = await spool(50_000);
    const sessions = createSessionPool();
    const outbox = `${ep.base}/no-such-outbox`;
    try {
      await expect(deliverFile({ db, sessions, sleep: noSleep }, {
        tenantId: 't1', fileId: f.fileId, localPath: f.path, endpoint: endpointFor(ep, { outbox }),
      })).rejects.toMatchObject({ code: 'VENDOR_PATH_MISSING', message: expect.stringContaining(`outbox ${outbox} does not exist`) });
      const row = await db.unitOfWork((r) => r.transfers.get('t1', f.fileId));
      expect(row?.status).toBe('failed');
      expect((await events(f.fileId)).map((e) => e.outcome)).toEqual(['started', 'failed']);
      expect(readdirSync(ep.onDisk)).not.toContain('no-such-outbox');
    } finally {
      await sessions.close();
    }
  });

  it('refuses a changed host key with a clear error and writes nothing', async () => {
    const f = await spool(100_000);
    const sessions = createSessionPool();
    const other = await startSftpServer({ root: join(tmp, 'other'), hostKey: generateKeys().privateKey, username: 'x', authorizedKeys: [generateKeys().publicKey] });
    try {
      await expect(deliverFile({ db, sessions, sleep: noSleep }, {
        tenantId: 't1', fileId: f.fileId, localPath: f.path, endpoint: endpointFor(ep, { hostKeySha256: other.hostKeySha256 }),
      })).rejects.toMatchObject({ code: 'HOST_KEY_REJECTED', message: expect.stringContaining(`pinned key is ${other.hostKeySha256}`) });
      expect(readdirSync(ep.onDisk).filter((n) => n.includes(f.name))).toEqual([]);
      const row = await db.unitOfWork((r) => r.transfers.get('t1', f.fileId));
      expect(row?.status).toBe('failed');
      expect((await events(f.fileId)).map((e) => e.outcome)).toEqual(['started', 'failed']);
    } finally {
      await other.close();
      await sessions.close();
    }
  });
});
