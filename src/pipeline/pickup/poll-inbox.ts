import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { text } from 'node:stream/consumers';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Database } from '../../engines/database/port.js';
import { joinPath, type FileEntry, type FileStore } from '../../engines/files/port.js';
import { isVendorflowError, NonRetryableError } from '../../shared/errors.js';
import type { SessionPool } from '../deliver/session-pool.js';
import { toPgpDecryption, type VendorEndpoint } from '../deliver/vendor-endpoint.js';
import { DecryptFeed, decryptToFile, type PgpDecryption } from './pgp-decrypt.js';

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
  /** The outbound file it answers, by the vendor's correlation rule (null: unsolicited). */
  answersFileId: string | null;
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
  /**
   * When set, every inbox file must be PGP-encrypted to this key (and signed, if verification keys are
   * given). Defaults to the endpoint's `inboundPgp` (the vendor spec's `inbound.pgp`).
   */
  decrypt?: PgpDecryption;
  /** Kind recorded on the inbound `files` row. */
  kind?: string;
  /** Which inbox files this poll may take (another tenant's, in a shared inbox, are left); default all. */
  mine?: (name: string) => boolean;
  /**
   * The outbound file a verified file answers, by the vendor's rule (its name, or a column read from
   * the plaintext at `path`); part of the file's identity. Without it every file is unsolicited.
   */
  correlate?: (file: { name: string; path: string }) => Promise<string | null>;
  /**
   * Called once per new file identity (vendor + SHA-256 of the plaintext + the outbound file it
   * answers: the same bytes answering two deliveries are two responses), after decryption and
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
  /** Files that failed their integrity check: quarantined, with a `files` row (status `quarantined`). */
  rejected: { name: string; error: string; fileId: string }[];
}

/** Integrity failures: the file is quarantined and recorded, never retried as is. */
const INTEGRITY_CODES = new Set(['PGP_VERIFY_FAILED', 'TRANSFER_VERIFY_FAILED']);

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
  const decrypt = req.decrypt ?? toPgpDecryption(ep);
  const store = await deps.sessions.acquire(ep);
  let broken = false;
  try {
    const entries = (await store.list(ep.inbox)).filter((e) => e.isFile);
    const names = new Set(entries.map((e) => e.name));
    const candidates = entries.filter((e) => !SKIP.test(e.name) && !(ep.doneMarker && e.name.endsWith(ep.doneMarker)) && (req.mine?.(e.name) ?? true));
    const sizes = new Map(entries.map((e) => [e.name, e.size]));
    await deps.db.unitOfWork((r) => r.transfers.forgetObservations(req.tenantId, ep.vendorId, { present: candidates.map((e) => e.name) }));
    for (const entry of candidates) {
      if (!(await isReady(deps, req, entry, names))) {
        result.waiting.push(entry.name);
        continue;
      }
      await take(deps, { ...req, decrypt }, store, entry, sizes, result);
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
  const settled = marker
    ? names.has(`${entry.name}${marker}`)
    : (await deps.db.unitOfWork((r) => r.transfers.observe(req.tenantId, req.endpoint.vendorId, entry))) === 'stable';
  // The vendor writes its sidecar after the file: until it is there, the file may be incomplete.
  return settled && (!req.endpoint.sha256Sidecar || names.has(`${entry.name}.sha256`));
}

async function take(deps: PollDeps, req: PollRequest, store: FileStore, entry: FileEntry, sizes: Map<string, number>, result: PollResult): Promise<void> {
  const ep = req.endpoint;
  const dirs = { download: join(deps.spoolDir, 'download'), inbound: join(deps.spoolDir, 'inbound'), quarantine: join(deps.spoolDir, 'quarantine') };
  await Promise.all(Object.values(dirs).map((d) => mkdir(d, { recursive: true, mode: 0o700 })));
  const token = randomUUID();
  const fileId = `in_${token}`;
  const downloaded = join(dirs.download, `${token}.raw`);
  // An encrypted file is decrypted as it downloads (the transfer and the decryption overlap); the
  // download still lands whole on disk, for the quarantine should its integrity check fail.
  const plain = req.decrypt ? join(dirs.download, `${token}.plain`) : downloaded;
  const feed = req.decrypt ? new DecryptFeed() : null;
  const decrypted = feed ? decryptToFile(feed.stream, plain, req.decrypt!, entry.name) : null;
  // Settled below in every path; until then a failure must not count as unhandled.
  decrypted?.then(() => feed!.abandon(), () => feed!.abandon());
  /** Waits for the decryption to stop and removes what it wrote (it removes its output itself on failure). */
  const dropDecrypted = async () => {
    if (decrypted) await decrypted.then(() => rm(plain, { force: true }), () => undefined);
  };
  // A download cut off part-way leaves nothing behind in the spool; the next poll starts again.
  const raw = await download(store, entry.path, downloaded, feed).catch(async (e: unknown) => {
    feed?.fail(e instanceof Error ? e : new Error(String(e)));
    await dropDecrypted();
    await rm(downloaded, { force: true });
    throw e;
  });

  let content = raw;
  try {
    if (ep.sha256Sidecar) await checkSidecar(store, entry, sizes, raw.sha256).catch(async (e: unknown) => {
      await dropDecrypted();
      throw e;
    });
    if (decrypted) {
      content = await decrypted;
      await rm(downloaded, { force: true });
    }
  } catch (e) {
    if (!isVendorflowError(e) || !INTEGRITY_CODES.has(e.code)) {
      await rm(downloaded, { force: true });
      throw e;
    }
    // Kept for an operator, recorded where they look (files), then out of the inbox so it is not taken again.
    const kept = join(dirs.quarantine, `${token}-${entry.name}`);
    await rename(downloaded, kept);
    const reason = `${e.code}: ${e.message} (received ${raw.size} bytes, SHA-256 ${raw.sha256}; kept as ${kept})`;
    await deps.db.unitOfWork(async (r) => {
      await r.transfers.insertQuarantined({ tenantId: req.tenantId, fileId, vendorId: ep.vendorId, kind: req.kind ?? 'response', name: entry.name, size: raw.size, remotePath: entry.path, reason });
      await r.transfers.recordEvent(req.tenantId, fileId, { kind: 'pickup', bytes: raw.size, outcome: 'quarantined', error: reason });
    });
    await retire(store, ep, entry, '.rejected');
    await deps.db.unitOfWork((r) => r.transfers.forgetObservations(req.tenantId, ep.vendorId, { name: entry.name }));
    result.rejected.push({ name: entry.name, error: e.message, fileId });
    return;
  }

  let answersFileId: string | null = null;
  try {
    if (req.correlate) answersFileId = await req.correlate({ name: entry.name, path: plain });
  } catch (e) {
    await rm(plain, { force: true });
    throw e;
  }
  const claim = await deps.db.unitOfWork(async (r) => {
    const c = await r.transfers.claimInbound({
      tenantId: req.tenantId, fileId, vendorId: ep.vendorId, kind: req.kind ?? 'response', name: entry.name,
      status: 'received', size: content.size, sha256: content.sha256, remotePath: entry.path, answersFileId,
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
      remotePath: claim.file.remotePath ?? entry.path, path: spooled, size: content.size, sha256: content.sha256, answersFileId,
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

/** Streams a remote file to `dest`, hashing on the way, and into the decryption's feed when there is one. */
async function download(store: FileStore, path: string, dest: string, feed: DecryptFeed | null): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _e, cb) {
      hash.update(chunk);
      size += chunk.length;
      if (!feed) return cb(null, chunk);
      feed.write(chunk).then(() => cb(null, chunk), cb);
    },
  });
  await pipeline(store.read(path), tap, createWriteStream(dest, { mode: 0o600 }));
  feed?.end();
  return { sha256: hash.digest('hex'), size };
}

/**
 * Checks the vendor's `<name>.sha256` (sha256sum format: the hex digest first) against what was
 * downloaded. A sidecar that is implausibly large is not read.
 */
async function checkSidecar(store: FileStore, entry: FileEntry, sizes: Map<string, number>, sha256: string): Promise<void> {
  const path = `${entry.path}.sha256`;
  const expected = (sizes.get(`${entry.name}.sha256`) ?? 0) <= 4096 ? /^\s*([0-9a-fA-F]{64})\b/.exec(await text(store.read(path)))?.[1] : undefined;
  if (!expected) throw new NonRetryableError('TRANSFER_VERIFY_FAILED', `${entry.name}.sha256 holds no SHA-256 digest`);
  if (expected.toLowerCase() !== sha256) {
    throw new NonRetryableError('TRANSFER_VERIFY_FAILED', `${entry.name} does not match its .sha256 sidecar (sidecar ${expected.toLowerCase()}, received ${sha256})`);
  }
}

/** Archives (under a unique name, so an archive never overwrites) or deletes a taken file with its done-marker and sidecar. */
async function retire(store: FileStore, ep: VendorEndpoint, entry: FileEntry, suffix: string): Promise<void> {
  const sidecar = `${entry.path}.sha256`;
  if (ep.archive.mode === 'move') {
    await store.mkdirp(ep.archive.dir);
    const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '');
    await store.rename(entry.path, joinPath(ep.archive.dir, `${entry.name}.${stamp}${suffix}`));
    if (ep.sha256Sidecar && (await store.stat(sidecar))) await store.rename(sidecar, joinPath(ep.archive.dir, `${entry.name}.sha256.${stamp}${suffix}`));
  } else {
    await store.remove(entry.path);
    if (ep.sha256Sidecar) await store.remove(sidecar);
  }
  if (ep.doneMarker) await store.remove(`${entry.path}${ep.doneMarker}`);
}
