import { timingSafeEqual } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { mkdir, open, readdir, rename, rm, rmdir, stat, truncate, type FileHandle } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join, normalize } from 'node:path';
import ssh2, { type Connection, type ParsedKey, type SFTPWrapper } from 'ssh2';
import { hostKeyFingerprint } from './host-key.js';

const { Server, utils } = ssh2;
const { STATUS_CODE, flagsToString } = utils.sftp;

export interface SftpServerOptions {
  /** Directory served as `/`. */
  root: string;
  /** Host private key (OpenSSH format). */
  hostKey: string | Buffer;
  username: string;
  /** Public keys (OpenSSH one-line format) allowed to log in. */
  authorizedKeys: string[];
  /** Accepted only if set. */
  password?: string;
  port?: number;
  host?: string;
}

export interface RunningSftpServer {
  host: string;
  port: number;
  /** `SHA256:...` of the host key, what a client pins. */
  hostKeySha256: string;
  close(): Promise<void>;
}

/**
 * A small SFTP server on ssh2 serving one directory: the embedded stand-in for a vendor's server
 * (the demo vendor, tests). It speaks SFTP v3 with POSIX semantics (RENAME replaces the target) and
 * confines every path to `root`.
 */
export async function startSftpServer(opts: SftpServerOptions): Promise<RunningSftpServer> {
  mkdirSync(opts.root, { recursive: true });
  const allowed = opts.authorizedKeys.map((k) => {
    const parsed = utils.parseKey(k);
    if (parsed instanceof Error) throw parsed;
    return Array.isArray(parsed) ? parsed[0]! : parsed;
  });
  const hostParsed = utils.parseKey(opts.hostKey);
  if (hostParsed instanceof Error) throw hostParsed;
  const hostPublic = (Array.isArray(hostParsed) ? hostParsed[0]! : hostParsed).getPublicSSH();

  const server = new Server({ hostKeys: [opts.hostKey] }, (conn: Connection) => {
    conn.on('authentication', (ctx) => {
      if (!safeEqual(Buffer.from(ctx.username), Buffer.from(opts.username))) return ctx.reject();
      if (ctx.method === 'publickey') {
        const key = allowed.find((k) => k.type === ctx.key.algo && safeEqual(k.getPublicSSH(), ctx.key.data));
        if (!key) return ctx.reject();
        if (ctx.signature && ctx.blob && key.verify(ctx.blob, ctx.signature, ctx.hashAlgo) !== true) return ctx.reject();
        return ctx.accept();
      }
      if (ctx.method === 'password' && opts.password !== undefined && safeEqual(Buffer.from(ctx.password), Buffer.from(opts.password))) {
        return ctx.accept();
      }
      ctx.reject(opts.password !== undefined ? ['publickey', 'password'] : ['publickey']);
    });
    conn.on('ready', () => {
      conn.on('session', (accept) => {
        const session = accept();
        session.on('sftp', (acceptSftp) => serveSftp(acceptSftp(), opts.root));
      });
    });
    conn.on('error', () => undefined);
  });
  const live = new Set<Connection>();
  server.on('connection', (conn: Connection) => {
    live.add(conn);
    conn.on('close', () => live.delete(conn));
    (conn as unknown as { setNoDelay(v: boolean): void }).setNoDelay(true);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    host: address.address,
    port: address.port,
    hostKeySha256: hostKeyFingerprint(hostPublic),
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      // Drop live sessions too, so close() does not wait on an idle client.
      for (const c of live) c.end();
    }),
  };
}

function safeEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

function serveSftp(sftp: SFTPWrapper, root: string): void {
  const real = (p: string) => join(root, normalize(`/${p}`));
  const handles = new Map<number, { fh?: FileHandle; dir?: string; listed?: boolean }>();
  let nextHandle = 1;
  const handleBuf = (id: number) => { const b = Buffer.alloc(4); b.writeUInt32BE(id); return b; };
  const lookup = (b: Buffer) => (b.length === 4 ? handles.get(b.readUInt32BE(0)) : undefined);
  const fail = (reqid: number, e: unknown) => {
    const code = (e as NodeJS.ErrnoException).code;
    sftp.status(reqid, code === 'ENOENT' ? STATUS_CODE.NO_SUCH_FILE : code === 'EACCES' || code === 'EPERM' ? STATUS_CODE.PERMISSION_DENIED : STATUS_CODE.FAILURE,
      code ?? String((e as Error).message ?? e));
  };
  const attrs = (s: Stats) => ({ mode: s.mode, uid: s.uid, gid: s.gid, size: s.size, atime: Math.floor(s.atimeMs / 1000), mtime: Math.floor(s.mtimeMs / 1000) });
  const run = (reqid: number, fn: () => Promise<void>) => { fn().catch((e: unknown) => fail(reqid, e)); };

  sftp.on('OPEN', (reqid, filename, flags) => run(reqid, async () => {
    const mode = flagsToString(flags);
    if (!mode) return void sftp.status(reqid, STATUS_CODE.OP_UNSUPPORTED);
    const fh = await open(real(filename), mode);
    const id = nextHandle++;
    handles.set(id, { fh });
    sftp.handle(reqid, handleBuf(id));
  }));
  sftp.on('READ', (reqid, handle, offset, length) => run(reqid, async () => {
    const h = lookup(handle);
    if (!h?.fh) return void sftp.status(reqid, STATUS_CODE.FAILURE, 'bad handle');
    const buf = Buffer.allocUnsafe(length);
    const { bytesRead } = await h.fh.read(buf, 0, length, offset);
    if (bytesRead === 0) return void sftp.status(reqid, STATUS_CODE.EOF);
    sftp.data(reqid, buf.subarray(0, bytesRead));
  }));
  sftp.on('WRITE', (reqid, handle, offset, data) => run(reqid, async () => {
    const h = lookup(handle);
    if (!h?.fh) return void sftp.status(reqid, STATUS_CODE.FAILURE, 'bad handle');
    let done = 0;
    while (done < data.length) done += (await h.fh.write(data, done, data.length - done, offset + done)).bytesWritten;
    sftp.status(reqid, STATUS_CODE.OK);
  }));
  sftp.on('FSTAT', (reqid, handle) => run(reqid, async () => {
    const h = lookup(handle);
    if (!h?.fh) return void sftp.status(reqid, STATUS_CODE.FAILURE, 'bad handle');
    sftp.attrs(reqid, attrs(await h.fh.stat()));
  }));
  sftp.on('FSETSTAT', (reqid, handle, a) => run(reqid, async () => {
    const h = lookup(handle);
    if (!h?.fh) return void sftp.status(reqid, STATUS_CODE.FAILURE, 'bad handle');
    if (a.size !== undefined) await h.fh.truncate(a.size);
    if (a.mtime !== undefined) await h.fh.utimes(a.atime ?? a.mtime, a.mtime);
    sftp.status(reqid, STATUS_CODE.OK);
  }));
  sftp.on('SETSTAT', (reqid, path, a) => run(reqid, async () => {
    if (a.size !== undefined) await truncate(real(path), a.size);
    sftp.status(reqid, STATUS_CODE.OK);
  }));
  sftp.on('CLOSE', (reqid, handle) => run(reqid, async () => {
    const h = lookup(handle);
    if (!h) return void sftp.status(reqid, STATUS_CODE.FAILURE, 'bad handle');
    handles.delete(handle.readUInt32BE(0));
    await h.fh?.close();
    sftp.status(reqid, STATUS_CODE.OK);
  }));
  const onStat = (reqid: number, path: string) => run(reqid, async () => { sftp.attrs(reqid, attrs(await stat(real(path)))); });
  sftp.on('STAT', onStat);
  sftp.on('LSTAT', onStat);
  sftp.on('OPENDIR', (reqid, path) => run(reqid, async () => {
    if (!(await stat(real(path))).isDirectory()) return void sftp.status(reqid, STATUS_CODE.FAILURE, 'not a directory');
    const id = nextHandle++;
    handles.set(id, { dir: path });
    sftp.handle(reqid, handleBuf(id));
  }));
  sftp.on('READDIR', (reqid, handle) => run(reqid, async () => {
    const h = lookup(handle);
    if (!h?.dir) return void sftp.status(reqid, STATUS_CODE.FAILURE, 'bad handle');
    if (h.listed) return void sftp.status(reqid, STATUS_CODE.EOF);
    h.listed = true;
    const names = [];
    for (const filename of await readdir(real(h.dir))) {
      const s = await stat(join(real(h.dir), filename)).catch(() => undefined);
      if (s) names.push({ filename, longname: filename, attrs: attrs(s) });
    }
    sftp.name(reqid, names);
  }));
  sftp.on('REMOVE', (reqid, path) => run(reqid, async () => { await rm(real(path)); sftp.status(reqid, STATUS_CODE.OK); }));
  sftp.on('RENAME', (reqid, from, to) => run(reqid, async () => { await rename(real(from), real(to)); sftp.status(reqid, STATUS_CODE.OK); }));
  sftp.on('MKDIR', (reqid, path) => run(reqid, async () => { await mkdir(real(path)); sftp.status(reqid, STATUS_CODE.OK); }));
  sftp.on('RMDIR', (reqid, path) => run(reqid, async () => { await rmdir(real(path)); sftp.status(reqid, STATUS_CODE.OK); }));
  sftp.on('REALPATH', (reqid, path) => {
    const p = normalize(`/${path}`);
    sftp.name(reqid, [{ filename: p, longname: p, attrs: {} as never }]);
  });
  sftp.on('close', () => {
    for (const h of handles.values()) void h.fh?.close().catch(() => undefined);
    handles.clear();
  });
}

export type { ParsedKey };
