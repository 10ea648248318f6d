import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Database, Repositories } from '../../engines/database/port.js';
import type { TransferFile } from '../../engines/database/repositories/transfers.js';
import { fileChunks } from '../../engines/files/file-chunks.js';
import { joinPath, type FileStore } from '../../engines/files/port.js';
import { NonRetryableError, RetryLaterError, VendorflowError } from '../../shared/errors.js';
import { crashPoint } from '../../shared/crash.js';
import { createCheckpointer } from './checkpointer.js';
import type { SessionPool } from './session-pool.js';
import type { VendorEndpoint } from './vendor-endpoint.js';

export const CHECKPOINT_BYTES = 8 * 1024 * 1024;
const READ_CHUNK = 1024 * 1024;

export interface RetryPolicy { attempts: number; baseDelayMs: number; maxDelayMs: number }
export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, baseDelayMs: 1_000, maxDelayMs: 30_000 };

export interface DeliverDeps {
  db: Database;
  sessions: SessionPool;
  sleep?: (ms: number) => Promise<void>;
}

export interface DeliverRequest {
  tenantId: string;
  /** An outbound `files` row (name, size, sha256 set by generate). */
  fileId: string;
  /** The spooled file to send. */
  localPath: string;
  endpoint: VendorEndpoint;
  onProgress?: (p: { sent: number; total: number }) => void;
  retry?: RetryPolicy;
  /** Bytes between saved resume offsets (default 8 MB). */
  checkpointBytes?: number;
  /**
   * Runs in the unit of work that marks the file delivered — where the change-file hashes advance,
   * so they move if and only if the vendor has the file.
   */
  onDelivered?: (repos: Repositories, file: TransferFile) => Promise<void>;
}

export interface DeliveryResult {
  fileId: string;
  remotePath: string;
  size: number;
  attempts: number;
  /** Bytes put on the wire over all attempts of this call. */
  bytesSent: number;
  /** The row was already delivered: nothing was sent. */
  alreadyDelivered: boolean;
}

/**
 * Sends a spooled file to the vendor's outbox, resumably and atomically: bytes go to a temporary
 * name, the acknowledged contiguous prefix is saved on the file row every `checkpointBytes`, and a
 * retry truncates the temporary file to that offset before writing on (after a cut the remote size
 * is the highest offset written, which may sit past a hole). Only a complete, size-verified file is
 * renamed to its final name. Every attempt is a `file_events` row.
 */
export async function deliverFile(deps: DeliverDeps, req: DeliverRequest): Promise<DeliveryResult> {
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const retry = req.retry ?? DEFAULT_RETRY;
  const file = await deps.db.unitOfWork((r) => r.transfers.get(req.tenantId, req.fileId));
  if (!file || file.direction !== 'out') throw new VendorflowError('NOT_FOUND', `no outbound file ${req.fileId} for tenant ${req.tenantId}`);
  const finalPath = joinPath(req.endpoint.outbox, file.name);
  if (file.status === 'delivered') {
    return { fileId: file.fileId, remotePath: finalPath, size: file.size ?? 0, attempts: 0, bytesSent: 0, alreadyDelivered: true };
  }
  const size = (await stat(req.localPath)).size;
  if (file.size !== null && file.size !== size) {
    throw new NonRetryableError('INPUT_INVALID', `spooled file for ${file.fileId} is ${size} bytes but the file row says ${file.size}`);
  }
  const sha256 = file.sha256 ?? (await sha256File(req.localPath));

  let bytesSent = 0;
  for (let attempt = 1; ; attempt++) {
    const state = { sent: 0 };
    await deps.db.unitOfWork((r) => r.transfers.recordEvent(req.tenantId, file.fileId, { kind: 'attempt', bytes: null, outcome: 'started', error: null }));
    let store: FileStore | undefined;
    try {
      store = await deps.sessions.acquire(req.endpoint);
      await uploadOnce(deps, req, store, { size, sha256, finalPath }, state);
      deps.sessions.release(store);
      bytesSent += state.sent;
      const delivered = await deps.db.unitOfWork(async (r) => {
        await r.transfers.update(req.tenantId, file.fileId, { status: 'delivered', remotePath: finalPath, resumeOffset: size, error: null, size, sha256 });
        await r.transfers.recordEvent(req.tenantId, file.fileId, { kind: 'attempt', bytes: state.sent, outcome: 'delivered', error: null });
        const row = (await r.transfers.get(req.tenantId, file.fileId))!;
        await req.onDelivered?.(r, row);
        return row;
      });
      return { fileId: delivered.fileId, remotePath: finalPath, size, attempts: attempt, bytesSent, alreadyDelivered: false };
    } catch (e) {
      if (store) deps.sessions.release(store, { broken: true });
      bytesSent += state.sent;
      const message = e instanceof Error ? e.message : String(e);
      const final = e instanceof NonRetryableError || attempt >= retry.attempts;
      await deps.db.unitOfWork(async (r) => {
        await r.transfers.recordEvent(req.tenantId, file.fileId, { kind: 'attempt', bytes: state.sent, outcome: 'failed', error: message });
        await r.transfers.update(req.tenantId, file.fileId, { error: message, ...(e instanceof NonRetryableError ? { status: 'failed' } : {}) });
      });
      if (e instanceof NonRetryableError) throw e;
      if (final) {
        throw new RetryLaterError(retry.maxDelayMs, `delivery of ${file.name} to vendor ${req.endpoint.vendorId} failed after ${attempt} attempts: ${message}`,
          { code: 'TRANSFER_FAILED', cause: e });
      }
      const backoff = Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** (attempt - 1));
      await sleep(backoff / 2 + Math.random() * (backoff / 2));
    }
  }
}

interface Target { size: number; sha256: string; finalPath: string }

async function uploadOnce(deps: DeliverDeps, req: DeliverRequest, store: FileStore, t: Target, state: { sent: number }): Promise<void> {
  const file = (await deps.db.unitOfWork((r) => r.transfers.get(req.tenantId, req.fileId)))!;
  const tempPath = joinPath(req.endpoint.outbox, `.${file.name}.part`);
  const save = (patch: Parameters<Repositories['transfers']['update']>[2]) =>
    deps.db.unitOfWork((r) => r.transfers.update(req.tenantId, req.fileId, patch));

  const [temp, final] = await Promise.all([store.stat(tempPath), store.stat(t.finalPath)]);
  if (file.status === 'renamed' || (!temp && final && file.status === 'uploading' && file.resumeOffset === t.size)) {
    // A previous attempt renamed the file but stopped before recording it: check what is there.
    if (final && final.size === t.size && (await sha256Stream(store.read(t.finalPath))) === t.sha256) return;
  }

  let offset = file.resumeOffset;
  if (!temp || temp.size < offset || offset > t.size) offset = 0;
  await save({ status: 'uploading', resumeOffset: offset, remotePath: tempPath });

  const writer = await store.openWriter(tempPath, { offset }).catch(async (e: unknown) => {
    // Retrying cannot create the vendor's directory: say which one is missing, once.
    if (!(await store.stat(req.endpoint.outbox).catch(() => undefined))) {
      throw new NonRetryableError('VENDOR_PATH_MISSING',
        `vendor ${req.endpoint.vendorId}: outbox ${req.endpoint.outbox} does not exist on ${req.endpoint.host}:${req.endpoint.port}`, { cause: e });
    }
    throw e;
  });
  const checkpoints = createCheckpointer(offset, req.checkpointBytes ?? CHECKPOINT_BYTES, (at) => save({ resumeOffset: at }));
  writer.onAcknowledged((acked) => {
    req.onProgress?.({ sent: acked, total: t.size });
    if (acked < t.size) checkpoints.acknowledged(acked);
  });
  try {
    // About 1 MB, in whole write requests: 1 MiB against OpenSSH's 255 KB limit left a 4 KB request
    // after every four full ones.
    const chunkSize = Math.max(1, Math.round(READ_CHUNK / writer.pieceSize)) * writer.pieceSize;
    for await (const chunk of fileChunks(req.localPath, { start: offset, chunkSize })) {
      state.sent += chunk.length;
      await writer.write(chunk);
    }
    await writer.close();
  } catch (e) {
    await writer.abort();
    throw e;
  } finally {
    await checkpoints.settled();
  }
  await save({ resumeOffset: t.size });
  crashPoint('deliver.uploaded');

  const written = await store.stat(tempPath);
  if (written?.size !== t.size) {
    await store.remove(tempPath);
    await save({ resumeOffset: 0 });
    throw new VendorflowError('TRANSFER_VERIFY_FAILED', `remote temporary file for ${file.name} is ${written?.size ?? 'missing'} bytes, expected ${t.size}`);
  }
  if (req.endpoint.sha256Sidecar) await writeSidecar(store, t.finalPath, file.name, t.sha256);
  await store.rename(tempPath, t.finalPath);
  await save({ status: 'renamed', remotePath: t.finalPath });
  crashPoint('deliver.renamed');
  const landed = await store.stat(t.finalPath);
  if (landed?.size !== t.size) {
    throw new VendorflowError('TRANSFER_VERIFY_FAILED', `${t.finalPath} is ${landed?.size ?? 'missing'} bytes after rename, expected ${t.size}`);
  }
}

/** `<name>.sha256` in sha256sum format, itself written under a temporary name and renamed. */
async function writeSidecar(store: FileStore, finalPath: string, name: string, sha256: string): Promise<void> {
  const sidecar = `${finalPath}.sha256`;
  const temp = `${joinPath(finalPath.slice(0, finalPath.lastIndexOf('/')) || '/', `.${name}.sha256.part`)}`;
  const w = await store.openWriter(temp, { offset: 0 });
  await w.write(Buffer.from(`${sha256}  ${name}\n`));
  await w.close();
  await store.rename(temp, sidecar);
}

export async function sha256File(path: string): Promise<string> {
  return sha256Stream(createReadStream(path, { highWaterMark: READ_CHUNK }));
}

export async function sha256Stream(stream: AsyncIterable<unknown>): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of stream) h.update(chunk as Buffer);
  return h.digest('hex');
}
