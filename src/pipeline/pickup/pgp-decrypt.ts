import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
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
    const hash = createHash('sha256');
    let size = 0;
    const tap = new Transform({ transform(chunk: Buffer, _enc, cb) { hash.update(chunk); size += chunk.length; cb(null, chunk); } });
    await pipeline(Readable.fromWeb(result.data as unknown as import('node:stream/web').ReadableStream<Uint8Array>), tap, createWriteStream(dest));
    if (verificationKeys) {
      await Promise.all(result.signatures.map((s) => s.verified));
      if (result.signatures.length === 0) throw new Error('the file is not signed');
    }
    return { sha256: hash.digest('hex'), size };
  } catch (e) {
    await rm(dest, { force: true });
    throw new NonRetryableError('PGP_VERIFY_FAILED', `cannot decrypt and verify ${label}: ${(e as Error).message}`, { cause: e });
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
