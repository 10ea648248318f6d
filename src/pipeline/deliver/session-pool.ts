import type { FileStore } from '../../engines/files/port.js';
import { openSftpStore } from '../../engines/files/sftp-store.js';
import { endpointKey, toSftpEndpoint, type VendorEndpoint } from './vendor-endpoint.js';

/**
 * Reuses one session per vendor endpoint across files (an SSH handshake and SFTP start cost several
 * round trips and a key exchange), shared by concurrent users. A session reported broken is handed to
 * no one else (the next acquire reconnects) and closes once its current users release it; idle
 * sessions close after `idleMs`.
 */
export interface SessionPool {
  acquire(ep: VendorEndpoint): Promise<FileStore>;
  /** `broken`: the caller saw the session fail; it is closed and not handed out again. */
  release(store: FileStore, opts?: { broken?: boolean }): void;
  close(): Promise<void>;
}

export type Connect = (ep: VendorEndpoint) => Promise<FileStore>;

export const connectSftp: Connect = (ep) => openSftpStore(toSftpEndpoint(ep));

interface Entry { key: string; store: Promise<FileStore>; users: number; timer?: NodeJS.Timeout; retired?: boolean }

export function createSessionPool(opts: { connect?: Connect; idleMs?: number } = {}): SessionPool {
  const connect = opts.connect ?? connectSftp;
  const idleMs = opts.idleMs ?? 60_000;
  const entries = new Map<string, Entry>();
  const byStore = new Map<FileStore, Entry>();

  const drop = (entry: Entry) => {
    if (entries.get(entry.key) === entry) entries.delete(entry.key);
    clearTimeout(entry.timer);
    void entry.store.then((s) => { byStore.delete(s); return s.close(); }).catch(() => undefined);
  };
  const isAlive = (s: FileStore) => (s as { alive?: boolean }).alive !== false;

  return {
    async acquire(ep) {
      const key = endpointKey(ep);
      let entry = entries.get(key);
      if (entry) {
        const store = await entry.store.catch(() => undefined);
        if (!store || !isAlive(store)) {
          drop(entry);
          entry = undefined;
        }
      }
      if (!entry) {
        entry = { key, store: connect(ep), users: 0 };
        entries.set(key, entry);
        const created = entry;
        entry.store.then((s) => byStore.set(s, created), () => drop(created));
      }
      clearTimeout(entry.timer);
      entry.users++;
      try {
        return await entry.store;
      } catch (e) {
        entry.users--;
        throw e;
      }
    },
    release(store, { broken = false } = {}) {
      const entry = byStore.get(store);
      if (!entry) return void store.close().catch(() => undefined);
      entry.users--;
      if (broken || !isAlive(store)) {
        // Nobody new gets it; it closes when its last user lets go. Closing it under another user
        // (another vendor or tenant on the same server) would strand that user's requests.
        entry.retired = true;
        if (entries.get(entry.key) === entry) entries.delete(entry.key);
      }
      if (entry.retired && entry.users === 0) return drop(entry);
      if (entry.users === 0) {
        entry.timer = setTimeout(() => drop(entry), idleMs);
        entry.timer.unref();
      }
    },
    async close() {
      const all = [...entries.values()];
      entries.clear();
      await Promise.all(all.map(async (e) => {
        clearTimeout(e.timer);
        const s = await e.store.catch(() => undefined);
        await s?.close().catch(() => undefined);
      }));
    },
  };
}
