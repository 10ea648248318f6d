import { connect as tcpConnect } from 'node:net';
import { Client, type ConnectConfig, type SFTPWrapper } from 'ssh2';
import { NonRetryableError, RetryLaterError } from '../../shared/errors.js';
import { hostKeyFingerprint, normaliseFingerprint } from './host-key.js';
import type { FileEntry, FileStore } from './port.js';
import { baseName } from './port.js';
import { SftpReader } from './sftp-reader.js';
import { createDirectWrite } from './sftp-direct-write.js';
import { createWindowedWriter } from './windowed-writer.js';

export interface SftpEndpoint {
  host: string;
  port: number;
  username: string;
  /** OpenSSH or PEM private key; with it the session uses key auth only. */
  privateKey?: string | Buffer;
  passphrase?: string;
  /** Used only when no key is given (a spec must ask for password auth explicitly). */
  password?: string;
  /** Pinned fingerprint, `SHA256:...` as `ssh-keygen -lf` prints it. Required: there is no trust on first use. */
  hostKeySha256: string;
  /** Cipher preference, e.g. ['aes128-gcm@openssh.com']. */
  ciphers?: string[];
  readyTimeoutMs?: number;
}

export interface SftpStore extends FileStore {
  readonly engine: 'sftp';
  /** False once the connection has ended or failed: a pool must not hand it out again. */
  readonly alive: boolean;
  /** The server's host key fingerprint as seen on this connection. */
  readonly hostKey: string;
}

const STATUS_NO_SUCH_FILE = 2;
/**
 * Bytes of writes kept in flight. Enough to fill a loopback or LAN link; small enough that a cut
 * wastes little beyond the last checkpoint (a resumed upload re-sends at most checkpoint + window).
 */
const WRITE_WINDOW_BYTES = 2 * 1024 * 1024;
const READ_WINDOW = 16;

/**
 * Opens an SFTP session. The host key must match the pin exactly — an unknown or changed key aborts
 * the handshake before authentication, so nothing is sent. Nagle is turned off: with it ssh2's
 * request/acknowledge pattern crawls at ~2 MB/s. The TCP socket is ours (handed to ssh2), so a write
 * request's SSH packets can be corked into one `writev`.
 */
export async function openSftpStore(ep: SftpEndpoint): Promise<SftpStore> {
  const pinned = normaliseFingerprint(ep.hostKeySha256);
  let seenKey = '';
  let refused = false;
  const client = new Client();
  const socket = tcpConnect({ host: ep.host, port: ep.port });
  socket.setNoDelay(true);
  const config: ConnectConfig = {
    sock: socket,
    host: ep.host,
    port: ep.port,
    username: ep.username,
    readyTimeout: ep.readyTimeoutMs ?? 20_000,
    keepaliveInterval: 15_000,
    hostVerifier: (key: Buffer) => {
      seenKey = hostKeyFingerprint(key);
      refused = seenKey !== pinned;
      return !refused;
    },
    ...(ep.privateKey !== undefined
      ? { privateKey: ep.privateKey, ...(ep.passphrase !== undefined ? { passphrase: ep.passphrase } : {}) }
      : ep.password !== undefined ? { password: ep.password } : {}),
    ...(ep.ciphers ? { algorithms: { cipher: ep.ciphers as never } } : {}),
  };
  const where = `${ep.username}@${ep.host}:${ep.port}`;
  const sftp = await new Promise<SFTPWrapper>((resolve, reject) => {
    const fail = (err: Error & { level?: string }) => {
      client.end();
      if (refused) {
        reject(new NonRetryableError('HOST_KEY_REJECTED',
          `host key of ${ep.host}:${ep.port} is ${seenKey}, but the pinned key is ${pinned}; refusing to connect (nothing was sent)`));
      } else if (err.level === 'client-authentication') {
        reject(new NonRetryableError('SFTP_AUTH_FAILED', `authentication as ${where} was refused`, { cause: err }));
      } else {
        reject(new RetryLaterError(5_000, `cannot open SFTP session to ${where}: ${err.message}`, { code: 'TRANSFER_FAILED', cause: err }));
      }
    };
    client.once('error', fail);
    client.once('ready', () => {
      client.removeListener('error', fail);
      client.sftp((err, s) => (err ? fail(err) : resolve(s)));
    });
    client.connect(config);
  });

  let alive = true;
  const lastError: { e?: Error } = {};
  client.on('error', (e) => { lastError.e = e; alive = false; });
  client.on('close', () => { alive = false; });
  sftp.on('close', () => { alive = false; });

  const sessionClosed = () => new RetryLaterError(1_000, `SFTP session to ${where} is closed`, { code: 'TRANSFER_FAILED', cause: lastError.e });
  const call = <T>(fn: (cb: (err: Error | null | undefined, value?: T) => void) => void): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      if (!alive) return reject(sessionClosed());
      fn((err, value) => (err ? reject(err) : resolve(value as T)));
    });
  const isMissing = (e: unknown) => (e as { code?: number }).code === STATUS_NO_SUCH_FILE;
  const maxWrite = (sftp as unknown as { _maxWriteLen?: number })._maxWriteLen ?? 32_000;
  const maxRead = (sftp as unknown as { _maxReadLen?: number })._maxReadLen ?? 32_000;
  const extensions = (sftp as unknown as { _extensions?: Record<string, string> })._extensions ?? {};

  const statPath = async (path: string): Promise<FileEntry | undefined> => {
    try {
      const a = await call<{ size: number; mtime: number; isFile(): boolean }>((cb) => sftp.stat(path, cb as never));
      return { name: baseName(path), path, size: a.size, mtimeMs: a.mtime * 1000, isFile: a.isFile() };
    } catch (e) {
      if (isMissing(e)) return undefined;
      throw e;
    }
  };

  const store: SftpStore = {
    engine: 'sftp',
    get alive() { return alive; },
    hostKey: seenKey,
    async list(dir) {
      const items = await call<{ filename: string; attrs: { size: number; mtime: number; isFile(): boolean; isDirectory(): boolean } }[]>(
        (cb) => sftp.readdir(dir, cb as never));
      return items
        .filter((i) => i.filename !== '.' && i.filename !== '..' && (i.attrs.isFile() || i.attrs.isDirectory()))
        .map((i) => ({ name: i.filename, path: `${dir.replace(/\/+$/, '')}/${i.filename}`, size: i.attrs.size, mtimeMs: i.attrs.mtime * 1000, isFile: i.attrs.isFile() }))
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    },
    stat: statPath,
    async openWriter(path, { offset }) {
      const handle = await call<Buffer>((cb) => sftp.open(path, offset === 0 ? 'w' : 'r+', cb));
      if (offset > 0) await call((cb) => sftp.fsetstat(handle, { size: offset }, cb));
      const directWrite = createDirectWrite(sftp);
      return createWindowedWriter({
        start: offset,
        pieceSize: maxWrite,
        maxInFlight: Math.max(4, Math.floor(WRITE_WINDOW_BYTES / maxWrite)),
        // Both paths copy `piece` before returning, so the caller's buffer is free for reuse once the
        // piece is issued (pieces never exceed the write limit, so ssh2 never re-reads the buffer for a
        // continuation). A 255 KB request leaves as eight 32 KB SSH packets: corked, they go out in one
        // writev instead of eight writes, and the server wakes once for them.
        issue: (piece, position) => call((cb) => {
          socket.cork();
          try {
            if (!directWrite(handle, piece, position, cb)) sftp.write(handle, piece, 0, piece.length, position, cb);
          } finally {
            socket.uncork();
          }
        }),
        closeHandle: () => (alive ? call((cb) => sftp.close(handle, cb)) : Promise.resolve()),
      });
    },
    read(path, opts) {
      return new SftpReader(sftp, path, opts?.start ?? 0, maxRead, READ_WINDOW, () => (alive ? null : sessionClosed()));
    },
    async rename(from, to) {
      if (extensions['posix-rename@openssh.com'] === '1') {
        await call((cb) => sftp.ext_openssh_rename(from, to, cb));
        return;
      }
      // Plain SFTP v3 RENAME refuses an existing target on most servers.
      try {
        await call((cb) => sftp.rename(from, to, cb));
      } catch (e) {
        if (!(await statPath(to))) throw e;
        await call((cb) => sftp.unlink(to, cb));
        await call((cb) => sftp.rename(from, to, cb));
      }
    },
    async remove(path) {
      try {
        await call((cb) => sftp.unlink(path, cb));
      } catch (e) {
        if (!isMissing(e)) throw e;
      }
    },
    async mkdirp(dir) {
      const parts = dir.split('/').filter(Boolean);
      let current = '';
      for (const part of parts) {
        current += `/${part}`;
        const s = await statPath(current);
        if (s && !s.isFile) continue;
        await call((cb) => sftp.mkdir(current, cb));
      }
    },
    async close() {
      alive = false;
      await new Promise<void>((resolve) => {
        client.once('close', () => resolve());
        client.end();
        setTimeout(resolve, 2_000).unref();
      });
    },
  };
  (store as { hostKey: string }).hostKey = seenKey;
  return store;
}
