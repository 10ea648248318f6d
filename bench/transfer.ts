/**
 * bench/transfer: SFTP upload/download throughput against a private OpenSSH sshd, side by side with
 * OpenSSH's own `sftp -b` client in the same run, both on aes128-gcm@openssh.com; peak RSS as sizes
 * grow; PGP decrypt of the largest size in a child process (its own peak RSS).
 *
 * The machine is shared, so one timing of each side says little: the two clients run in turn, several
 * rounds per size, and each side's best round is compared. Client CPU per MB (ours: this process, with
 * its database; sftp: the sftp and ssh processes) is reported beside it, as it does not depend on load.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as openpgp from 'openpgp';
import { openDatabase } from '../src/engines/database/open-database.js';
import type { Database } from '../src/engines/database/port.js';
import { openSftpStore } from '../src/engines/files/sftp-store.js';
import { deliverFile } from '../src/pipeline/deliver/deliver-file.js';
import { createSessionPool } from '../src/pipeline/deliver/session-pool.js';
import type { VendorEndpoint } from '../src/pipeline/deliver/vendor-endpoint.js';
import { startSshd } from '../test/support/sshd.js';
import { peakRssMb, round, timed, vs, type BenchFn, type Metrics } from './report.js';

const MB = 1024 * 1024;
const CIPHER = 'aes128-gcm@openssh.com';

function makeFile(path: string, size: number): void {
  const fd = openSync(path, 'w');
  const block = randomBytes(8 * MB);
  for (let done = 0; done < size; done += block.length) writeSync(fd, block, 0, Math.min(block.length, size - done));
  closeSync(fd);
}

async function sha256(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const c of createReadStream(path, { highWaterMark: MB })) h.update(c as Buffer);
  return h.digest('hex');
}

const bench: BenchFn = async ({ quick }) => {
  const sizes = quick ? [20 * MB] : [100 * MB, 1024 * MB];
  const work = mkdtempSync(join(tmpdir(), 'vf-bench-transfer-'));
  const sshd = await startSshd();
  const keyFile = join(work, 'id');
  writeFileSync(keyFile, sshd.client.privateKey, { mode: 0o600 });
  const base = await openDatabase({ engine: 'pglite', dataDir: null });
  await base.migrate();
  // Delivery's bookkeeping (resume offset every 8 MB, states, events) runs on the embedded engine,
  // in this thread: the time spent in it is reported beside the upload figures.
  let dbMs = 0;
  const db: Database = Object.create(base, {
    unitOfWork: {
      value: async <T>(fn: Parameters<Database['unitOfWork']>[0]) => {
        const t0 = performance.now();
        try { return (await base.unitOfWork(fn)) as T; } finally { dbMs += performance.now() - t0; }
      },
    },
  }) as Database;
  await db.unitOfWork((r) => r.tenants.ensure({ tenantId: 'bench', name: 'bench' }));
  const endpoint: VendorEndpoint = {
    vendorId: 'bench', host: sshd.host, port: sshd.port, user: sshd.username, auth: 'key', keyRef: `file:${keyFile}`,
    hostKeySha256: sshd.hostKeySha256, outbox: sshd.dir, inbox: sshd.dir, archive: { mode: 'delete' }, sha256Sidecar: false, ciphers: [CIPHER],
  };
  /** Runs `sftp -b`; the result is the CPU milliseconds of sftp and its ssh child (bash `times`). */
  const sftpBatch = (commands: string) => {
    const batch = join(work, 'batch');
    writeFileSync(batch, commands);
    return timed(() => {
      const out = execFileSync('bash', ['-c', 'sftp "$@" >/dev/null || exit 1; times', 'sftp', '-q', '-b', batch, '-i', keyFile, '-P', String(sshd.port),
        '-o', `Ciphers=${CIPHER}`, '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR',
        `${sshd.username}@${sshd.host}`], { encoding: 'utf8' });
      // `times` prints the shell's own user/sys, then its children's: "0m0.192s 0m0.171s".
      const children = out.trim().split('\n').at(-1)!.match(/(\d+)m([\d.]+)s/g) ?? [];
      return children.reduce((ms, t) => { const [, m, sec] = /(\d+)m([\d.]+)s/.exec(t)!; return ms + (Number(m) * 60 + Number(sec)) * 1000; }, 0);
    });
  };
  const ownCpu = async (fn: () => Promise<unknown>) => {
    const before = process.cpuUsage();
    const { seconds } = await timed(fn);
    const used = process.cpuUsage(before);
    return { seconds, cpuMs: (used.user + used.system) / 1000 };
  };
  const metrics: Metrics = {};
  const rss: number[] = [];
  try {
    for (const size of sizes) {
      const label = size >= 1024 * MB ? `${size / 1024 / MB}gb` : `${size / MB}mb`;
      const local = join(work, `data-${label}`);
      makeFile(local, size);
      const digest = await sha256(local);
      const mbps = (s: number) => size / MB / s;

      const rounds = quick ? 3 : size >= 1024 * MB ? 2 : 3;
      const best = { put: 0, ours: 0, get: 0, read: 0 };
      const cpu = { put: Infinity, ours: Infinity, get: Infinity, read: Infinity };
      let bookkeeping = 0;
      const note = (k: keyof typeof best, seconds: number, cpuMs: number) => {
        best[k] = Math.max(best[k], mbps(seconds));
        cpu[k] = Math.min(cpu[k], cpuMs / (size / MB));
      };
      const back = join(work, `ours-get-${label}`);
      for (let round = 0; round < rounds; round++) {
        // Each timed run starts with no dirty pages left by the previous one (a 1 GB write otherwise
        // bills the next run for its writeback), and the two clients take turns going first.
        const sftpPut = async () => {
          execFileSync('sync');
          const base = await sftpBatch(`put ${local} ${sshd.dir}/sftp-${label}\n`);
          note('put', base.seconds, base.result);
        };
        const oursPut = async () => {
          const fileId = `f-${label}-${round}`;
          await db.unitOfWork((r) => r.transfers.insertOutbound({ tenantId: 'bench', fileId, vendorId: 'bench', kind: 'bench', name: `ours-${label}`, size, sha256: digest }));
          execFileSync('sync');
          // A new session each time, as sftp -b opens one: both timings include the SSH handshake.
          const sessions = createSessionPool();
          dbMs = 0;
          const ours = await ownCpu(async () => {
            await deliverFile({ db, sessions }, { tenantId: 'bench', fileId, localPath: local, endpoint });
            await sessions.close();
          });
          note('ours', ours.seconds, ours.cpuMs);
          if (mbps(ours.seconds) >= best.ours) bookkeeping = dbMs / 1000 / ours.seconds;
          if (round === 0 && (await sha256(join(sshd.dir, `ours-${label}`))) !== digest) throw new Error('uploaded file differs');
        };
        const sftpGet = async () => {
          execFileSync('sync');
          const baseGet = await sftpBatch(`get ${sshd.dir}/sftp-${label} ${work}/sftp-get-${label}\n`);
          note('get', baseGet.seconds, baseGet.result);
          rmSync(`${work}/sftp-get-${label}`, { force: true });
        };
        const oursGet = async () => {
          execFileSync('sync');
          const get = await ownCpu(async () => {
            const store = await openSftpStore({ host: sshd.host, port: sshd.port, username: sshd.username, privateKey: sshd.client.privateKey, hostKeySha256: sshd.hostKeySha256, ciphers: [CIPHER] });
            await pipeline(store.read(`${sshd.dir}/ours-${label}`), createWriteStream(back));
            await store.close();
          });
          note('read', get.seconds, get.cpuMs);
          if (round === 0 && (await sha256(back)) !== digest) throw new Error('downloaded file differs');
          rmSync(back, { force: true });
        };
        const order = round % 2 === 0 ? [sftpPut, oursPut, sftpGet, oursGet] : [oursPut, sftpPut, oursGet, sftpGet];
        for (const step of order) await step();
      }
      metrics[`upload_resumable_${label}`] = vs(best.ours, 'MB/s', `sftp -b put (best of ${rounds})`, best.put, '>= 1.0x');
      metrics[`download_stream_${label}`] = vs(best.read, 'MB/s', `sftp -b get (best of ${rounds})`, best.get, '>= 1.0x');
      metrics[`upload_client_cpu_${label}`] = vs(cpu.ours, 'ms/MB', 'sftp+ssh processes', cpu.put);
      metrics[`upload_db_share_${label}`] = { value: round(bookkeeping * 100, 1), unit: '% of best upload in units of work' };
      metrics[`download_client_cpu_${label}`] = vs(cpu.read, 'ms/MB', 'sftp+ssh processes', cpu.get);
      rss.push(peakRssMb());
      metrics[`peak_rss_after_${label}`] = { value: rss.at(-1)!, unit: 'MB' };
      for (const f of [join(sshd.dir, `sftp-${label}`), join(sshd.dir, `ours-${label}`)]) rmSync(f, { force: true });
      if (size !== sizes.at(-1)) rmSync(local, { force: true });
    }
    if (rss.length > 1) metrics.rss_growth_100mb_to_1gb = vs(rss[1]!, 'MB', 'peak RSS after 100 MB', rss[0]!, 'flat (~1.0x)');

    // Decrypt the largest size in a child process, beside the same child doing no work.
    const size = sizes.at(-1)!;
    const label = size >= 1024 * MB ? `${size / 1024 / MB}gb` : `${size / MB}mb`;
    const keys = await openpgp.generateKey({ type: 'curve25519', userIDs: [{ name: 'bench', email: 'bench@example.com' }], format: 'armored' });
    writeFileSync(join(work, 'pgp.key'), keys.privateKey);
    const enc = join(work, 'data.pgp');
    const message = await openpgp.createMessage({ binary: Readable.toWeb(createReadStream(join(work, `data-${label}`), { highWaterMark: MB })) as never });
    const encrypted = await openpgp.encrypt({ message, encryptionKeys: await openpgp.readKey({ armoredKey: keys.publicKey }), format: 'binary' });
    await pipeline(Readable.fromWeb(encrypted as never), createWriteStream(enc));
    const child = (args: string[]) => {
      const t0 = performance.now();
      const r = spawnSync(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'support/transfer-decrypt.ts'), ...args], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`decrypt child failed: ${r.stderr}`);
      return { ...(JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { maxRssMb: number }), seconds: (performance.now() - t0) / 1000 };
    };
    const idle = child(['--idle']);
    const dec = child([enc, join(work, 'data.plain'), join(work, 'pgp.key')]);
    if (statSync(join(work, 'data.plain')).size !== size) throw new Error('decrypted size differs');
    metrics[`decrypt_${label}_peak_rss`] = { ...vs(dec.maxRssMb, 'MB', 'same child, idle', idle.maxRssMb), goal: '< 250 MB' };
    metrics[`decrypt_${label}_throughput`] = { value: round(size / MB / dec.seconds), unit: 'MB/s' };
  } finally {
    await base.close();
    await sshd.stop();
    rmSync(work, { recursive: true, force: true });
  }
  return metrics;
};

export default bench;
