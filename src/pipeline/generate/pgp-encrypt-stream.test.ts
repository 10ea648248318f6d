import { createHash, randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as openpgp from 'openpgp';
import { describe, expect, it } from 'vitest';
import { pgpEncryptStream } from './pgp-encrypt-stream.js';

describe('PGP encryption on a worker thread', async () => {
  const { privateKey, publicKey } = await openpgp.generateKey({ type: 'ecc', userIDs: [{ name: 'Carrier' }], format: 'armored' });
  const decrypt = async (cipher: Buffer) => {
    const { data } = await openpgp.decrypt({
      message: await openpgp.readMessage({ binaryMessage: cipher }),
      decryptionKeys: await openpgp.readPrivateKey({ armoredKey: privateKey }), format: 'binary',
    });
    return Buffer.from(data as Uint8Array);
  };

  it('encrypts a stream larger than its windows, behind a slow reader, to bytes that decrypt to the input', async () => {
    const chunks = Array.from({ length: 40 }, (_, i) => randomBytes(50_000 + i * 997));
    const out: Buffer[] = [];
    // A reader that takes one chunk per turn of the event loop, so the worker must wait for credits.
    const slow = new Writable({
      highWaterMark: 1,
      write(c: Buffer, _e, cb) { out.push(c); setImmediate(cb); },
    });
    await pipeline(Readable.from(chunks), await pgpEncryptStream(publicKey, { windowBytes: 64 * 1024 }), slow);
    const plain = await decrypt(Buffer.concat(out));
    expect(createHash('sha256').update(plain).digest('hex')).toBe(createHash('sha256').update(Buffer.concat(chunks)).digest('hex'));
  });

  it('encrypts an empty stream to a message that decrypts to nothing', async () => {
    const out: Buffer[] = [];
    await pipeline(Readable.from([]), await pgpEncryptStream(publicKey), new Writable({ write(c: Buffer, _e, cb) { out.push(c); cb(); } }));
    expect((await decrypt(Buffer.concat(out))).length).toBe(0);
  });

  it('rejects a key that is not a public key, before any byte is written', async () => {
    await expect(pgpEncryptStream('-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nnot a key\n-----END PGP PUBLIC KEY BLOCK-----\n')).rejects.toThrow(/PGP encryption failed/);
  });

  it('stops the worker when the pipeline fails midway', async () => {
    const enc = await pgpEncryptStream(publicKey);
    const failing = new Writable({ write(_c, _e, cb) { cb(new Error('disk full')); } });
    await expect(pipeline(Readable.from([randomBytes(300_000), randomBytes(300_000)]), enc, failing)).rejects.toThrow('disk full');
    expect(enc.destroyed).toBe(true);
  });
});
