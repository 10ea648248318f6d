import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, rm, type FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import * as openpgp from 'openpgp';
import { NonRetryableError } from '../../shared/errors.js';

export interface PgpDecryption {
  /** Our private key (armored) the vendor encrypts to. */
  privateKeyArmored: string;
  passphrase?: string;
  /** The vendor's public keys: when given, a file must carry a valid signature by one of them. */
  verificationKeysArmored?: string[];
}

/**
 * Decrypts `src` (a file, or the encrypted bytes as they arrive) into `dest` at constant memory and
 * returns the plaintext's SHA-256. openpgp v6 holds a whole authenticated message in memory unless
 * `allowUnauthenticatedStream` is set; with it the plaintext streams out before the integrity check
 * (MDC / AEAD tag) at the end — so it goes only to a spool file, and this resolves only once the
 * check passed. On any failure `dest` is removed and PGP_VERIFY_FAILED is thrown: nothing of a
 * tampered file can reach ingest.
 */
export async function decryptToFile(src: string | ReadableStream<Uint8Array>, dest: string, keys: PgpDecryption, label = typeof src === 'string' ? src : 'the download'): Promise<{ sha256: string; size: number }> {
  try {
    let privateKey = await openpgp.readPrivateKey({ armoredKey: keys.privateKeyArmored });
    if (!privateKey.isDecrypted()) privateKey = await openpgp.decryptKey({ privateKey, passphrase: keys.passphrase ?? '' });
    const verificationKeys = keys.verificationKeysArmored
      ? await Promise.all(keys.verificationKeysArmored.map((armoredKey) => openpgp.readKey({ armoredKey })))
      : undefined;
    const { armored, input } = await peekArmored(typeof src === 'string'
      ? Readable.toWeb(createReadStream(src, { highWaterMark: 1024 * 1024 })) as unknown as ReadableStream<Uint8Array>
      : src);
    const message = armored
      ? await openpgp.readMessage({ armoredMessage: input.pipeThrough(new TextDecoderStream()) as unknown as ReadableStream<string> })
      : await openpgp.readMessage({ binaryMessage: input });
    const result = await openpgp.decrypt({
      message, decryptionKeys: privateKey, format: 'binary',
      ...(verificationKeys ? { verificationKeys, expectSigned: true } : {}),
      config: { allowUnauthenticatedStream: true },
    });
    const { sha256, size } = await spool(result.data as unknown as ReadableStream<Uint8Array>, dest);
    if (verificationKeys) {
      await Promise.all(result.signatures.map((s) => s.verified));
      if (result.signatures.length === 0) throw new Error('the file is not signed');
    }
    return { sha256, size };
  } catch (e) {
    await rm(dest, { force: true });
    throw new NonRetryableError('PGP_VERIFY_FAILED', `cannot decrypt and verify ${label}: ${(e as Error).message}`, { cause: e });
  }
}

/** Bytes gathered before one write: the decompressor hands out 16 KiB pieces, a syscall each if written as they come. */
const WRITE_BATCH = 1 << 20;

/**
 * Hashes the plaintext and writes it to `dest`, reading the web stream directly (no adapter to a
 * node stream, no transform per piece) and writing ~1 MiB at a time with one writev: the pieces
 * openpgp emits average 13 KB, and one write each cost about a third of the decrypt's time.
 */
async function spool(data: ReadableStream<Uint8Array>, dest: string): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  const out = await open(dest, 'w', 0o600);
  let size = 0;
  try {
    let batch: Uint8Array[] = [];
    let batched = 0;
    const reader = data.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      hash.update(value);
      size += value.length;
      batch.push(value);
      batched += value.length;
      if (batched >= WRITE_BATCH) {
        await writeAll(out, batch);
        batch = [];
        batched = 0;
      }
    }
    await writeAll(out, batch);
  } finally {
    await out.close();
  }
  return { sha256: hash.digest('hex'), size };
}

/** writev may write less than asked (a full disk, a signal): the rest goes again until all is written. */
async function writeAll(out: FileHandle, pieces: Uint8Array[]): Promise<void> {
  let rest = pieces;
  while (rest.length) {
    let { bytesWritten } = await out.writev(rest);
    const left: Uint8Array[] = [];
    for (const p of rest) {
      if (bytesWritten >= p.length) bytesWritten -= p.length;
      else { left.push(p.subarray(bytesWritten)); bytesWritten = 0; }
    }
    rest = left;
  }
}

const ARMOR_PEEK = 64;

/** Whether the message is ASCII-armored, from its first bytes; `input` yields every byte, those too. */
async function peekArmored(stream: ReadableStream<Uint8Array>): Promise<{ armored: boolean; input: ReadableStream<Uint8Array> }> {
  const reader = stream.getReader();
  const head: Uint8Array[] = [];
  let got = 0;
  let done = false;
  while (got < ARMOR_PEEK) {
    const r = await reader.read();
    if (r.done) { done = true; break; }
    head.push(r.value);
    got += r.value.length;
  }
  const text = Buffer.concat(head.map((h) => Buffer.from(h.buffer, h.byteOffset, h.byteLength))).subarray(0, ARMOR_PEEK).toString('latin1');
  const input = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const h of head) controller.enqueue(h);
      if (done) controller.close();
    },
    async pull(controller) {
      const r = await reader.read();
      if (r.done) controller.close();
      else controller.enqueue(r.value);
    },
    cancel(reason) { return reader.cancel(reason); },
  }, { highWaterMark: 0 });
  return { armored: text.trimStart().startsWith('-----BEGIN PGP'), input };
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
