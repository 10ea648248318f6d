import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as openpgp from 'openpgp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DecryptFeed, decryptToFile } from './pgp-decrypt.js';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const tmp = mkdtempSync(join(tmpdir(), 'vf-pgp-decrypt-'));
let keys: { privateKey: string; publicKey: string };
let otherKeys: { privateKey: string; publicKey: string };

beforeAll(async () => {
  keys = await openpgp.generateKey({ type: 'curve25519', userIDs: [{ email: 'files@example.com' }], format: 'armored' });
  otherKeys = await openpgp.generateKey({ type: 'curve25519', userIDs: [{ email: 'other@example.com' }], format: 'armored' });
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Rows that compress about tenfold, as vendor CSV does: the inflated plaintext spans many pieces. */
const plaintext = Buffer.from(Array.from({ length: 40_000 }, (_, i) => `E${String(i).padStart(7, '0')},MED,2024-01-${String(1 + (i % 28)).padStart(2, '0')},"1,234.${i % 100}"\r\n`).join(''));

async function encrypt(data: Uint8Array, compression: openpgp.enums.compression, armor = false): Promise<Uint8Array> {
  const message = await openpgp.createMessage({ binary: data });
  const encryptionKeys = await openpgp.readKey({ armoredKey: keys.publicKey });
  const config = { preferredCompressionAlgorithm: compression };
  return armor
    ? Buffer.from(await openpgp.encrypt({ message, encryptionKeys, format: 'armored', config }))
    : openpgp.encrypt({ message, encryptionKeys, format: 'binary', config });
}

/** The encrypted bytes as a download hands them over: `piece` bytes at a time through a DecryptFeed. */
async function viaFeed(bytes: Uint8Array, dest: string, piece: number, privateKeyArmored = keys.privateKey) {
  const feed = new DecryptFeed(64 * 1024);
  const done = decryptToFile(feed.stream, dest, { privateKeyArmored }, 'the test file');
  done.then(() => feed.abandon(), () => feed.abandon());
  for (let at = 0; at < bytes.length; at += piece) await feed.write(bytes.slice(at, at + piece));
  feed.end();
  return done;
}

describe('decryptToFile', () => {
  const { zip, zlib, uncompressed } = openpgp.enums.compression;
  it.each([['zip', zip], ['zlib', zlib], ['uncompressed', uncompressed]] as const)('decrypts a message (compression: %s) from a file and from a feed in small pieces', async (name, algo) => {
    const encrypted = await encrypt(plaintext, algo);
    const src = join(tmp, `${name}.pgp`);
    writeFileSync(src, encrypted);
    const fromFile = await decryptToFile(src, join(tmp, `${name}.file.plain`), { privateKeyArmored: keys.privateKey });
    const fromFeed = await viaFeed(encrypted, join(tmp, `${name}.feed.plain`), 1000);
    for (const [r, path] of [[fromFile, `${name}.file.plain`], [fromFeed, `${name}.feed.plain`]] as const) {
      expect(r).toEqual({ sha256: sha(plaintext), size: plaintext.length });
      expect(sha(readFileSync(join(tmp, path)))).toBe(sha(plaintext));
    }
  }, 30_000);

  it('decrypts an armored compressed message', async () => {
    const r = await viaFeed(await encrypt(plaintext, zip, true), join(tmp, 'armored.plain'), 777);
    expect(r.sha256).toBe(sha(plaintext));
  }, 30_000);

  it.each([['zip', zip], ['uncompressed', uncompressed]] as const)('refuses a tampered message (compression: %s) and removes what it wrote', async (name, algo) => {
    const encrypted = await encrypt(plaintext, algo);
    encrypted[Math.floor(encrypted.length * 0.7)]! ^= 0x01;
    const dest = join(tmp, `tampered-${name}.plain`);
    await expect(viaFeed(encrypted, dest, 4096)).rejects.toMatchObject({ code: 'PGP_VERIFY_FAILED' });
    expect(existsSync(dest)).toBe(false);
  }, 30_000);

  it('refuses a message for another key, and a download that breaks off', async () => {
    const encrypted = await encrypt(plaintext, zip);
    const dest = join(tmp, 'other.plain');
    await expect(viaFeed(encrypted, dest, 4096, otherKeys.privateKey)).rejects.toMatchObject({ code: 'PGP_VERIFY_FAILED' });
    expect(existsSync(dest)).toBe(false);

    const feed = new DecryptFeed(64 * 1024);
    const broken = join(tmp, 'broken.plain');
    const done = decryptToFile(feed.stream, broken, { privateKeyArmored: keys.privateKey });
    done.catch(() => feed.abandon());
    await feed.write(encrypted.slice(0, Math.floor(encrypted.length / 2)));
    feed.fail(new Error('connection reset'));
    await expect(done).rejects.toThrow(/connection reset/);
    await expect(done).rejects.toMatchObject({ code: 'INTERNAL' }); // retried: the file is not at fault
    expect(existsSync(broken)).toBe(false);
  }, 30_000);

  it('blames our own key, or this machine, and not the vendor file, when they are what failed', async () => {
    const encrypted = await encrypt(plaintext, zip);
    const src = join(tmp, 'good.pgp');
    writeFileSync(src, encrypted);
    // Our key under a passphrase, given the wrong one: a configuration error (never a quarantined file).
    const locked = await openpgp.encryptKey({ privateKey: await openpgp.readPrivateKey({ armoredKey: keys.privateKey }), passphrase: 'right' });
    const wrongPass = decryptToFile(src, join(tmp, 'locked.plain'), { privateKeyArmored: locked.armor(), passphrase: 'wrong' });
    await expect(wrongPass).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('inbound.pgp') });
    expect(await decryptToFile(src, join(tmp, 'unlocked.plain'), { privateKeyArmored: locked.armor(), passphrase: 'right' })).toEqual({ sha256: sha(plaintext), size: plaintext.length });
    // The spool cannot be written: this machine's failure, retried.
    const nowhere = join(tmp, 'no-such-dir', 'out.plain');
    await expect(decryptToFile(src, nowhere, { privateKeyArmored: keys.privateKey })).rejects.toMatchObject({ code: 'INTERNAL', message: expect.stringContaining('io') });
  }, 30_000);
});
