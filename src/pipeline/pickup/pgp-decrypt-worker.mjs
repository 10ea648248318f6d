// @ts-check
/**
 * OpenPGP decryption of one inbound file on its own thread (started by `pgp-decrypt.ts`), writing the
 * plaintext to the spool file and hashing it there. Plain JavaScript for the reason the encryption
 * worker is: a worker thread does not inherit the TypeScript loader of the process that starts it.
 *
 * Protocol (input chunks transferred, not copied):
 *   in:  {type:'data', chunk} ... {type:'end'} | {type:'fail', message} (the download broke)
 *   out: {type:'consumed', bytes} ... then {type:'done', sha256, size} | {type:'error', kind, message}
 * `kind` says whose fault a failure is: 'integrity' (the file: not for our key, malformed, tampered,
 * unsigned), 'key' (our own private key or passphrase), 'io' (this machine: the spool could not be
 * written or read) or 'download' (the input broke off).
 * The main thread stops sending while more than a window of its input is not yet consumed here.
 * With `workerData.path` the worker reads the encrypted file itself and no input messages come.
 *
 * The plaintext is written before the integrity check at the end of the message (openpgp's
 * `allowUnauthenticatedStream`, for constant memory); only `done` says the check passed, and on any
 * error the caller removes the file: nothing of a tampered file is handed on.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { Duplex, Readable } from 'node:stream';
import { parentPort, workerData } from 'node:worker_threads';
import zlib from 'node:zlib';

const port = /** @type {import('node:worker_threads').MessagePort} */ (parentPort);
const { keys, dest, path } = /** @type {{ keys: { privateKeyArmored: string; passphrase?: string; verificationKeysArmored?: string[] }; dest: string; path?: string }} */ (workerData);

/**
 * Inflate output piece size. Node's DecompressionStream (what openpgp inflates with) hands out 16 KiB
 * pieces: for a 100 MB plaintext ~6k pieces, each a trip to the threadpool and a trip through
 * openpgp's web streams. The same zlib with 256 KiB pieces decrypted a gpg-compressed 100 MB file in
 * about 0.5 s instead of 0.65–0.8 (0.65 CPU-s instead of 0.8). Installed only on this thread, before
 * openpgp is loaded; the formats and the errors on corrupt input are zlib's, as with the built-in.
 */
const INFLATE_CHUNK = 256 * 1024;

class LargePieceDecompressionStream {
  /** @param {string} format */
  constructor(format) {
    const options = { chunkSize: INFLATE_CHUNK };
    const z = format === 'deflate-raw' ? zlib.createInflateRaw(options)
      : format === 'deflate' ? zlib.createInflate(options)
        : format === 'gzip' ? zlib.createGunzip(options)
          : null;
    if (!z) throw new TypeError(`unsupported compression format ${format}`);
    const { readable, writable } = Duplex.toWeb(z);
    this.readable = readable;
    this.writable = writable;
  }
}
Object.defineProperty(globalThis, 'DecompressionStream', { value: LargePieceDecompressionStream, writable: true, configurable: true });
const openpgp = await import('openpgp');

/** @type {Uint8Array[]} */
const queued = [];
let ended = false;
/** @type {Error | null} */
let broken = null;
/** @type {(() => void) | null} */
let wake = null;

port.on('message', (/** @type {{ type: string; chunk?: ArrayBuffer; message?: string }} */ m) => {
  if (m.type === 'data') queued.push(new Uint8Array(/** @type {ArrayBuffer} */ (m.chunk)));
  else if (m.type === 'end') ended = true;
  else if (m.type === 'fail') broken = new Error(m.message ?? 'the download failed');
  const w = wake;
  wake = null;
  w?.();
});

/** The encrypted bytes as openpgp pulls them; each chunk taken is reported so the sender may send more. */
function fedInput() {
  return new ReadableStream({
    async pull(controller) {
      while (queued.length === 0 && !ended && !broken) await new Promise((resolve) => { wake = () => resolve(undefined); });
      if (broken) return controller.error(broken);
      const chunk = queued.shift();
      if (!chunk) return controller.close();
      controller.enqueue(chunk);
      port.postMessage({ type: 'consumed', bytes: chunk.byteLength });
    },
  }, { highWaterMark: 0 });
}

const ARMOR_PEEK = 64;

/**
 * Whether the message is ASCII-armored, from its first bytes; `input` yields every byte, those too.
 * @param {ReadableStream<Uint8Array>} stream
 */
async function peekArmored(stream) {
  const reader = stream.getReader();
  /** @type {Uint8Array[]} */
  const head = [];
  let got = 0;
  let done = false;
  while (got < ARMOR_PEEK) {
    const r = await reader.read();
    if (r.done) { done = true; break; }
    head.push(r.value);
    got += r.value.length;
  }
  const text = Buffer.concat(head).subarray(0, ARMOR_PEEK).toString('latin1');
  const input = new ReadableStream({
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

/** Bytes gathered before one write: many small pieces written as they come cost a syscall each. */
const WRITE_BATCH = 1 << 20;

/**
 * Hashes the plaintext and writes it to `dest` ~1 MiB at a time with one writev, reading the web
 * stream directly (no adapter to a node stream, no transform per piece).
 * @param {ReadableStream<Uint8Array>} data
 */
async function spool(data) {
  const hash = createHash('sha256');
  const out = await open(dest, 'w', 0o600);
  let size = 0;
  try {
    /** @type {Uint8Array[]} */
    let batch = [];
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

/**
 * writev may write less than asked (a full disk, a signal): the rest goes again until all is written.
 * @param {import('node:fs/promises').FileHandle} out
 * @param {Uint8Array[]} pieces
 */
async function writeAll(out, pieces) {
  let rest = pieces;
  while (rest.length) {
    let { bytesWritten } = await out.writev(rest);
    /** @type {Uint8Array[]} */
    const left = [];
    for (const p of rest) {
      if (bytesWritten >= p.length) bytesWritten -= p.length;
      else { left.push(p.subarray(bytesWritten)); bytesWritten = 0; }
    }
    rest = left;
  }
}

/** Where the work was when it failed: before the message is read, a failure is our key's. */
let stage = 'key';
try {
  let privateKey = await openpgp.readPrivateKey({ armoredKey: keys.privateKeyArmored });
  if (!privateKey.isDecrypted()) privateKey = await openpgp.decryptKey({ privateKey, passphrase: keys.passphrase ?? '' });
  const verificationKeys = keys.verificationKeysArmored
    ? await Promise.all(keys.verificationKeysArmored.map((armoredKey) => openpgp.readKey({ armoredKey })))
    : undefined;
  stage = 'message';
  const source = path
    ? /** @type {ReadableStream<Uint8Array>} */ (Readable.toWeb(createReadStream(path, { highWaterMark: 1024 * 1024 })))
    : fedInput();
  const { armored, input } = await peekArmored(source);
  const message = armored
    ? await openpgp.readMessage({ armoredMessage: /** @type {ReadableStream<string>} */ (input.pipeThrough(new TextDecoderStream())) })
    : await openpgp.readMessage({ binaryMessage: input });
  const result = await openpgp.decrypt({
    message, decryptionKeys: privateKey, format: 'binary',
    ...(verificationKeys ? { verificationKeys, expectSigned: true } : {}),
    config: { allowUnauthenticatedStream: true },
  });
  const { sha256, size } = await spool(/** @type {ReadableStream<Uint8Array>} */ (/** @type {unknown} */ (result.data)));
  if (verificationKeys) {
    await Promise.all(result.signatures.map((s) => s.verified));
    if (result.signatures.length === 0) throw new Error('the file is not signed');
  }
  port.postMessage({ type: 'done', sha256, size });
} catch (e) {
  const code = e && typeof e === 'object' && 'code' in e ? e.code : undefined;
  // System errors carry an errno name (ENOSPC, EACCES, EIO); zlib's (Z_DATA_ERROR) are the file's.
  const kind = broken ? 'download' : typeof code === 'string' && /^E[A-Z0-9]+$/.test(code) ? 'io' : stage === 'key' ? 'key' : 'integrity';
  port.postMessage({ type: 'error', kind, message: e instanceof Error ? e.message : String(e) });
}
port.close();
