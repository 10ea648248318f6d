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
 * Decrypts `src` into `dest` at constant memory and returns the plaintext's SHA-256. openpgp v6 holds
 * a whole authenticated message in memory unless `allowUnauthenticatedStream` is set; with it the
 * plaintext streams out before the integrity check (MDC / AEAD tag) at the end — so it goes only to a
 * spool file, and this resolves only once the check passed. On any failure `dest` is removed and
 * PGP_VERIFY_FAILED is thrown: nothing of a tampered file can reach ingest.
 */
export async function decryptToFile(src: string, dest: string, keys: PgpDecryption, label = src): Promise<{ sha256: string; size: number }> {
  try {
    let privateKey = await openpgp.readPrivateKey({ armoredKey: keys.privateKeyArmored });
    if (!privateKey.isDecrypted()) privateKey = await openpgp.decryptKey({ privateKey, passphrase: keys.passphrase ?? '' });
    const verificationKeys = keys.verificationKeysArmored
      ? await Promise.all(keys.verificationKeysArmored.map((armoredKey) => openpgp.readKey({ armoredKey })))
      : undefined;
    const input = Readable.toWeb(createReadStream(src, { highWaterMark: 1024 * 1024 })) as unknown as ReadableStream<Uint8Array>;
    const message = (await isArmored(src))
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

async function isArmored(path: string): Promise<boolean> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(64);
    const { bytesRead } = await fh.read(buf, 0, 64, 0);
    return buf.subarray(0, bytesRead).toString('latin1').trimStart().startsWith('-----BEGIN PGP');
  } finally {
    await fh.close();
  }
}
