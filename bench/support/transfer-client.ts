/**
 * Child process for bench/transfer: our SFTP client, in a process started the way the product starts
 * one (bin/vendorflow.js's node flags), with its own embedded database for delivery's bookkeeping —
 * as a worker holds it. Driven over IPC by the benchmark:
 *   { op: 'init', sshd, keyFile }                      -> {}
 *   { op: 'put', fileId, name, localPath, size, sha256, checkpointBytes? } -> { seconds, cpuMs, dbMs }
 *   { op: 'get', remotePath, localPath }               -> { seconds, cpuMs }
 *   { op: 'rss' }                                      -> { peakRssMb }
 * Each timed operation opens a new SSH session, as `sftp -b` does, so both sides pay the handshake.
 * CPU is this process's (all its threads: GC, libuv), the figure set beside sftp + ssh.
 */
import { execFileSync } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import * as openpgp from 'openpgp';
import { openDatabase } from '../../src/engines/database/open-database.js';
import type { Database } from '../../src/engines/database/port.js';
import { openSftpStore } from '../../src/engines/files/sftp-store.js';
import { deliverFile } from '../../src/pipeline/deliver/deliver-file.js';
import { createSessionPool } from '../../src/pipeline/deliver/session-pool.js';
import type { VendorEndpoint } from '../../src/pipeline/deliver/vendor-endpoint.js';

export const CIPHER = 'aes128-gcm@openssh.com';

export interface SshdInfo { host: string; port: number; username: string; hostKeySha256: string; privateKey: string; dir: string }
export type ClientRequest =
  | { op: 'init'; sshd: SshdInfo; keyFile: string }
  | { op: 'put'; fileId: string; name: string; localPath: string; size: number; sha256: string; checkpointBytes?: number }
  | { op: 'get'; remotePath: string; localPath: string }
  | { op: 'rss' }
  | { op: 'exit' };

/** VmHWM: this process's own peak (maxRSS of a child starts at its parent's resident size). */
export function ownPeakRssMb(): number {
  try {
    const kb = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    if (kb) return Number(kb) / 1024;
  } catch { /* not Linux */ }
  return process.resourceUsage().maxRSS / 1024;
}

async function serve(): Promise<void> {
  // A worker has openpgp loaded (pickup decrypts); its heap is part of what the collector walks.
  void openpgp.config;
  let db: Database | undefined;
  let endpoint: VendorEndpoint | undefined;
  let sshd: SshdInfo | undefined;
  let dbMs = 0;

  const timedCpu = async (fn: () => Promise<void>) => {
    execFileSync('sync');
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await fn();
    const seconds = (performance.now() - t0) / 1000;
    const used = process.cpuUsage(cpu0);
    return { seconds, cpuMs: (used.user + used.system) / 1000 };
  };

  const handle = async (req: ClientRequest): Promise<unknown> => {
    switch (req.op) {
      case 'init': {
        sshd = req.sshd;
        const base = await openDatabase({ engine: 'pglite', dataDir: null });
        await base.migrate();
        // Time inside delivery's units of work (resume offsets, states, events), beside the upload.
        db = Object.create(base, {
          unitOfWork: {
            value: async <T>(fn: Parameters<Database['unitOfWork']>[0]) => {
              const t0 = performance.now();
              try { return (await base.unitOfWork(fn)) as T; } finally { dbMs += performance.now() - t0; }
            },
          },
          close: { value: () => base.close() },
        }) as Database;
        await db.unitOfWork((r) => r.tenants.ensure({ tenantId: 'bench', name: 'bench' }));
        endpoint = {
          vendorId: 'bench', host: sshd.host, port: sshd.port, user: sshd.username, auth: 'key', keyRef: `file:${req.keyFile}`,
          hostKeySha256: sshd.hostKeySha256, outbox: sshd.dir, inbox: sshd.dir, archive: { mode: 'delete' }, sha256Sidecar: false, ciphers: [CIPHER],
        };
        return {};
      }
      case 'put': {
        const { fileId, name, size, sha256, localPath } = req;
        await db!.unitOfWork((r) => r.transfers.insertOutbound({ tenantId: 'bench', fileId, vendorId: 'bench', kind: 'bench', name, size, sha256 }));
        dbMs = 0;
        const t = await timedCpu(async () => {
          const sessions = createSessionPool();
          await deliverFile({ db: db!, sessions }, { tenantId: 'bench', fileId, localPath, endpoint: endpoint!, ...(req.checkpointBytes ? { checkpointBytes: req.checkpointBytes } : {}) });
          await sessions.close();
        });
        return { ...t, dbMs };
      }
      case 'get':
        return timedCpu(async () => {
          const s = sshd!;
          const store = await openSftpStore({ host: s.host, port: s.port, username: s.username, privateKey: s.privateKey, hostKeySha256: s.hostKeySha256, ciphers: [CIPHER] });
          await pipeline(store.read(req.remotePath), createWriteStream(req.localPath));
          await store.close();
        });
      case 'rss':
        return { peakRssMb: ownPeakRssMb() };
      case 'exit':
        await db?.close();
        return {};
    }
  };

  process.on('message', (req: ClientRequest) => {
    const reply = (msg: object) => process.send?.(msg, () => { if (req.op === 'exit') process.disconnect?.(); });
    handle(req).then(
      (result) => reply({ ok: true, result }),
      (e: unknown) => reply({ ok: false, error: e instanceof Error ? e.stack ?? e.message : String(e) }),
    );
  });
}

if (process.send) await serve();
