import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Database } from '../../engines/database/port.js';
import { joinPath, type FileEntry, type FileStore } from '../../engines/files/port.js';
import { isVendorflowError } from '../../shared/errors.js';
import type { SessionPool } from '../deliver/session-pool.js';
import type { VendorEndpoint } from '../deliver/vendor-endpoint.js';
import { decryptToFile, type PgpDecryption } from './pgp-decrypt.js';

/** A vendor file taken from the inbox, decrypted and verified, ready for ingest. */
export interface InboundFile {
  tenantId: string;
  vendorId: string;
  fileId: string;
  name: string;
  remotePath: string;
  /** The spooled plaintext; it stays there for ingest (and its restarts) to read. */
  path: string;
  size: number;
  sha256: string;
}

export interface PollDeps {
  db: Database;
  sessions: SessionPool;
  /** Local spool directory: downloads, plaintext, quarantine. */
  spoolDir: string;
}

export interface PollRequest {
  tenantId: string;
  endpoint: VendorEndpoint;
  /** When set, every inbox file must be PGP-encrypted to this key (and signed, if verification keys are given). */
  decrypt?: PgpDecryption;
  /** Kind recorded on the inbound `files` row. */
  kind?: string;
  /**
   * Called once per new file identity (vendor + SHA-256 of the plaintext), after decryption and
   * verification. At-least-once: a crash between this call and its bookkeeping calls it again with
   * the same fileId at the next poll, so it must be idempotent per fileId (ingest checkpoints are).
   */
  handOn: (file: InboundFile) => Promise<void>;
}

export interface PollResult {
  taken: InboundFile[];
  /** Files whose content had already been received (a re-send, or a file seen again). */
  duplicates: { name: string; fileId: string }[];
  /** Files not yet stable (or without their done-marker). */
  waiting: string[];
  rejected: { name: string; error: string }[];
}

const SKIP = /(^\.|\.part$|\.sha256$)/;

/**
 * One poll of a vendor's inbox. A file is taken only when stable — the same size and mtime as at the
 * previous poll (observations live in the database) — or, when the spec names a done-marker, once
 * `<name><marker>` exists. Taking a file streams it to the spool, decrypts and verifies it, and claims
 * its identity; afterwards it is archived or deleted on the server as the spec says.
 */
export async function pollInbox(deps: PollDeps, req: PollRequest): Promise<PollResult> {
  const ep = req.endpoint;
  const result: PollResult = { taken: [], duplicates: [], waiting: [], rejected: [] };
  const store = await deps.sessions.acquire(ep);
  let broken = false;
  try {
    const entries = (await store.list(ep.inbox)).filter((e) => e.isFile);
    const names = new Set(entries.map((e) => e.name));
    const candidates = entries.filter((e) => !SKIP.test(e.name) && !(ep.doneMarker && e.name.endsWith(ep.doneMarker)));
    await deps.db.unitOfWork((r) => r.transfers.forgetObservations(req.tenantId, ep.vendorId, { present: candidates.map((e) => e.name) }));
    for (const entry of candidates) {
      if (!(await isReady(deps, req, entry, names))) {
        result.waiting.push(entry.name);
        continue;
      }
      try {
        await take(deps, req, store, entry, result);
      } catch (e) {
        if (!isVendorflowError(e) || e.code !== 'PGP_VERIFY_FAILED') throw e;
        result.rejected.push({ name: entry.name, error: e.message });
      }
    }
    return result;
  } catch (e) {
    broken = true;
    throw e;
  } finally {
    deps.sessions.release(store, { broken });
  }
}

async function isReady(deps: PollDeps, req: PollRequest, entry: FileEntry, names: Set<string>): Promise<boolean> {
  const marker = req.endpoint.doneMarker;
  if (marker) return names.has(`${entry.name}${marker}`);
  const seen = await deps.db.unitOfWork((r) => r.transfers.observe(req.tenantId, req.endpoint.vendorId, entry));
  return seen === 'stable';
}

async function take(deps: PollDeps, req: PollRequest, store: FileStore, entry: FileEntry, result: PollResult): Promise<void> {
  const ep = req.endpoint;
  const dirs = { download: join(deps.spoolDir, 'download'), inbound: join(deps.spoolDir, 'inbound'), quarantine: join(deps.spoolDir, 'quarantine') };
  await Promise.all(Object.values(dirs).map((d) => mkdir(d, { recursive: true })));
  const token = randomUUID();
  const downloaded = join(dirs.download, `${token}.raw`);
  const raw = await download(store, entry.path, downloaded);

  let plain = downloaded;
  let content = raw;
  if (req.decrypt) {
    plain = join(dirs.download, `${token}.plain`);
    try {
      content = await decryptToFile(downloaded, plain, req.decrypt, entry.name);
    } catch (e) {
      await rename(downloaded, join(dirs.quarantine, `${token}-${entry.name}`));
      await retire(store, ep, entry, '.rejected');
      await deps.db.unitOfWork((r) => r.transfers.forgetObservations(req.tenantId, ep.vendorId, { name: entry.name }));
      throw e;
    }
    await rm(downloaded, { force: true });
  }

  const fileId = `in_${token}`;
  const claim = await deps.db.unitOfWork(async (r) => {
    const c = await r.transfers.claimInbound({
      tenantId: req.tenantId, fileId, vendorId: ep.vendorId, kind: req.kind ?? 'response', name: entry.name,
      status: 'received', size: content.size, sha256: content.sha256, remotePath: entry.path,
    });
    const retry = !c.created && c.file.status === 'received' && c.file.remotePath === entry.path;
    await r.transfers.recordEvent(req.tenantId, c.file.fileId, c.created
      ? { kind: 'pickup', bytes: raw.size, outcome: 'received', error: null }
      : retry ? { kind: 'pickup', bytes: raw.size, outcome: 'hand-on-retry', error: null }
        : { kind: 'pickup', bytes: raw.size, outcome: 'duplicate', error: `same content as ${c.file.name} received again as ${entry.name}` });
    return c;
  });

  const spooled = join(dirs.inbound, claim.file.fileId);
  if (claim.created) await rename(plain, spooled);
  else await rm(plain, { force: true });

  // Handed on when new, or when an earlier poll claimed it but stopped before handing it on.
  if (claim.file.status === 'received') {
    const file: InboundFile = {
      tenantId: req.tenantId, vendorId: ep.vendorId, fileId: claim.file.fileId, name: claim.file.name,
      remotePath: claim.file.remotePath ?? entry.path, path: spooled, size: content.size, sha256: content.sha256,
    };
    await req.handOn(file);
    await deps.db.unitOfWork((r) => r.transfers.update(req.tenantId, file.fileId, { status: 'handed-on' }));
    result.taken.push(file);
  } else {
    result.duplicates.push({ name: entry.name, fileId: claim.file.fileId });
  }
  await retire(store, ep, entry, '');
  await deps.db.unitOfWork((r) => r.transfers.forgetObservations(req.tenantId, ep.vendorId, { name: entry.name }));
}

/** Streams a remote file to `dest`, hashing on the way. */
async function download(store: FileStore, path: string, dest: string): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  const tap = new Transform({ transform(chunk: Buffer, _e, cb) { hash.update(chunk); size += chunk.length; cb(null, chunk); } });
  await pipeline(store.read(path), tap, createWriteStream(dest));
  return { sha256: hash.digest('hex'), size };
}

/** Archives (under a unique name, so an archive never overwrites) or deletes a taken file and its done-marker. */
async function retire(store: FileStore, ep: VendorEndpoint, entry: FileEntry, suffix: string): Promise<void> {
  if (ep.archive.mode === 'move') {
    await store.mkdirp(ep.archive.dir);
    const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '');
    await store.rename(entry.path, joinPath(ep.archive.dir, `${entry.name}.${stamp}${suffix}`));
  } else {
    await store.remove(entry.path);
  }
  if (ep.doneMarker) await store.remove(`${entry.path}${ep.doneMarker}`);
}
