import { rm } from 'node:fs/promises';
import { Worker } from 'node:worker_threads';
import { NonRetryableError, VendorflowError } from '../../shared/errors.js';

export interface PgpDecryption {
  /** Our private key (armored) the vendor encrypts to. */
  privateKeyArmored: string;
  passphrase?: string;
  /** The vendor's public keys: when given, a file must carry a valid signature by one of them. */
  verificationKeysArmored?: string[];
}

type FailureKind = 'integrity' | 'key' | 'io' | 'download';

/** Encrypted bytes sent to the worker and not yet taken by openpgp, at most (memory stays bounded). */
const WORKER_WINDOW = 4 << 20;

/**
 * Decrypts `src` (a file, or the encrypted bytes as they arrive) into `dest` at constant memory and
 * returns the plaintext's SHA-256. openpgp v6 holds a whole authenticated message in memory unless
 * `allowUnauthenticatedStream` is set; with it the plaintext streams out before the integrity check
 * (MDC / AEAD tag) at the end — so it goes only to a spool file, and this resolves only once the
 * check passed. On any failure `dest` is removed: nothing of a tampered file can reach ingest. Only
 * a failure of the file itself is PGP_VERIFY_FAILED (the caller quarantines it, for good); our own
 * key not opening is CONFIG_INVALID, and a full disk, a broken download or a crashed worker is
 * INTERNAL — retried, the vendor's file left where it is.
 *
 * The decryption (openpgp, inflate, the plaintext's hash and write) runs on a worker thread
 * (`pgp-decrypt-worker.mjs`): it is about a CPU-second per 100 MB of plaintext, which on this thread
 * held up the download feeding it and every other task of the process.
 */
export async function decryptToFile(src: string | ReadableStream<Uint8Array>, dest: string, keys: PgpDecryption, label = typeof src === 'string' ? src : 'the download'): Promise<{ sha256: string; size: number }> {
  const worker = new Worker(new URL('./pgp-decrypt-worker.mjs', import.meta.url), {
    workerData: { keys: { ...keys }, dest, ...(typeof src === 'string' ? { path: src } : {}) },
    // The worker loads only plain JavaScript: no need for the parent's TypeScript loader flags.
    execArgv: [],
  });
  let settled = false;
  let inFlight = 0;
  let resume: (() => void) | null = null;
  const wakeSender = () => {
    const r = resume;
    resume = null;
    r?.();
  };
  const outcome = new Promise<{ sha256: string; size: number }>((resolve, reject) => {
    worker.on('message', (m: { type: string; bytes?: number; sha256?: string; size?: number; message?: string; kind?: FailureKind }) => {
      if (m.type === 'consumed') {
        inFlight -= m.bytes!;
        if (inFlight <= WORKER_WINDOW) wakeSender();
      } else if (m.type === 'done') {
        settled = true;
        resolve({ sha256: m.sha256!, size: m.size! });
      } else if (m.type === 'error') {
        settled = true;
        reject(Object.assign(new Error(m.message), { kind: m.kind }));
      }
    });
    worker.on('error', (e) => { settled = true; reject(e); });
    worker.on('exit', (code) => {
      if (!settled) { settled = true; reject(new Error(`the decryption worker stopped (exit code ${code}) before the end of the file`)); }
    });
  });
  // Once the worker has answered, the sender stops (the rest of the download is not needed by it).
  outcome.then(wakeSender, wakeSender);
  try {
    const [result] = await Promise.all([outcome, typeof src === 'string' ? undefined : send(src)]);
    return result;
  } catch (e) {
    await rm(dest, { force: true });
    const { kind } = e as { kind?: FailureKind };
    const message = (e as Error).message;
    if (kind === 'integrity') throw new NonRetryableError('PGP_VERIFY_FAILED', `cannot decrypt and verify ${label}: ${message}`, { cause: e });
    if (kind === 'key') throw new VendorflowError('CONFIG_INVALID', `inbound.pgp: our private key cannot be used (wrong key or passphrase?): ${message}`, { cause: e });
    throw new VendorflowError('INTERNAL', `decryption of ${label} stopped (${kind ?? 'worker'}): ${message}`, { cause: e });
  } finally {
    await worker.terminate();
  }

  /** Feeds the worker from the stream, by transfer, while less than a window waits there. */
  async function send(stream: ReadableStream<Uint8Array>): Promise<void> {
    const reader = stream.getReader();
    try {
      while (!settled) {
        let next: Awaited<ReturnType<typeof reader.read>>;
        try {
          next = await reader.read();
        } catch (e) {
          // A broken download: the worker fails the message (never decrypts a truncated one as whole).
          worker.postMessage({ type: 'fail', message: (e as Error).message });
          return;
        }
        if (next.done) {
          worker.postMessage({ type: 'end' });
          return;
        }
        // A buffer of its own: a chunk may be a view on a pooled buffer that cannot be transferred.
        const owned = new Uint8Array(next.value.byteLength);
        owned.set(next.value);
        inFlight += owned.byteLength;
        worker.postMessage({ type: 'data', chunk: owned.buffer }, [owned.buffer]);
        while (!settled && inFlight > WORKER_WINDOW) await new Promise<void>((r) => { resume = r; });
      }
    } finally {
      if (settled) await reader.cancel().catch(() => undefined);
      reader.releaseLock();
    }
  }
}

/**
 * The encrypted bytes as a web stream fed by a download while it runs, so decryption keeps pace with
 * the transfer instead of starting after it. `write` waits while `highWaterMark` bytes are queued
 * (memory stays bounded whatever the file size); once the decryption has stopped reading (done or
 * failed: see `abandon`), writes are dropped and the download runs on alone.
 */
export class DecryptFeed {
  readonly stream: ReadableStream<Uint8Array>;
  private controller!: ReadableStreamDefaultController<Uint8Array>;
  private wake: (() => void) | null = null;
  private stopped = false;

  constructor(highWaterMark = 4 << 20) {
    this.stream = new ReadableStream<Uint8Array>({
      start: (c) => { this.controller = c; },
      pull: () => this.resume(),
      cancel: () => this.abandon(),
    }, new ByteLengthQueuingStrategy({ highWaterMark }));
  }

  async write(chunk: Uint8Array): Promise<void> {
    if (this.stopped) return;
    this.controller.enqueue(chunk);
    while (!this.stopped && (this.controller.desiredSize ?? 1) <= 0) await new Promise<void>((r) => { this.wake = r; });
  }

  end(): void {
    if (!this.stopped) this.controller.close();
    this.stopped = true;
  }

  /** The download failed: the decryption sees the error (never a truncated message as complete). */
  fail(error: Error): void {
    if (!this.stopped) this.controller.error(error);
    this.stopped = true;
    this.resume();
  }

  /** The decryption is no longer reading. */
  abandon(): void {
    this.stopped = true;
    this.resume();
  }

  private resume(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }
}
