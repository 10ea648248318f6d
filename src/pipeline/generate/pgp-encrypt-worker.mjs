// @ts-check
/**
 * OpenPGP encryption on its own thread (started by `pgp-encrypt-stream.ts`). Plain JavaScript on
 * purpose: a worker thread does not inherit the TypeScript loader of the process that starts it
 * (tsx, vitest), and this file needs nothing but openpgp.
 *
 * Protocol, all chunks transferred (not copied):
 *   in:  {type:'data', chunk} ... {type:'end'}   | {type:'ack', bytes} (output consumed)
 *   out: {type:'ready'} {type:'consumed', bytes} {type:'out', chunk} ... {type:'done'} | {type:'error', message}
 * Both directions are credit-based: the main thread stops writing while more than a window of its
 * input is not yet consumed here, and this side stops reading openpgp's output while more than a
 * window of it has not been taken by the main thread's reader. Memory stays a few windows.
 */
import { parentPort, workerData } from 'node:worker_threads';
import * as openpgp from 'openpgp';

const port = /** @type {import('node:worker_threads').MessagePort} */ (parentPort);
const { armoredKey, windowBytes } = /** @type {{ armoredKey: string; windowBytes: number }} */ (workerData);

/** @type {Uint8Array[]} */
const queued = [];
let ended = false;
/** @type {(() => void) | null} */
let wakeReader = null;
let unacked = 0;
/** @type {(() => void) | null} */
let wakeWriter = null;

port.on('message', (/** @type {{type: string; chunk?: ArrayBuffer; bytes?: number}} */ m) => {
  if (m.type === 'data') queued.push(new Uint8Array(/** @type {ArrayBuffer} */ (m.chunk)));
  else if (m.type === 'end') ended = true;
  else if (m.type === 'ack') {
    unacked -= /** @type {number} */ (m.bytes);
    if (unacked <= windowBytes && wakeWriter) { const w = wakeWriter; wakeWriter = null; w(); }
    return;
  }
  if (wakeReader) { const w = wakeReader; wakeReader = null; w(); }
});

/** The plaintext as openpgp pulls it; each chunk taken is reported so the writer may send more. */
const plaintext = new ReadableStream({
  async pull(controller) {
    while (queued.length === 0 && !ended) await new Promise((resolve) => { wakeReader = () => resolve(undefined); });
    const chunk = queued.shift();
    if (chunk) {
      controller.enqueue(chunk);
      port.postMessage({ type: 'consumed', bytes: chunk.byteLength });
    } else controller.close();
  },
}, { highWaterMark: 0 });

try {
  const key = await openpgp.readKey({ armoredKey });
  const message = await openpgp.createMessage({ binary: plaintext });
  const encrypted = /** @type {ReadableStream<Uint8Array>} */ (await openpgp.encrypt({
    message, encryptionKeys: key, format: 'binary',
    // Compressing inside PGP costs more than it saves on a stream that may already be gzipped.
    config: { preferredCompressionAlgorithm: openpgp.enums.compression.uncompressed },
  }));
  port.postMessage({ type: 'ready' });
  const reader = encrypted.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    // A copy that owns its buffer, so it can be transferred without detaching openpgp's own memory.
    const out = value.slice();
    unacked += out.byteLength;
    port.postMessage({ type: 'out', chunk: out.buffer }, [out.buffer]);
    while (unacked > windowBytes) await new Promise((resolve) => { wakeWriter = () => resolve(undefined); });
  }
  port.postMessage({ type: 'done' });
} catch (e) {
  port.postMessage({ type: 'error', message: e instanceof Error ? e.message : String(e) });
}
port.close();
