import { Duplex } from 'node:stream';
import { Worker } from 'node:worker_threads';

/**
 * A duplex that encrypts what is written to it for one recipient (binary OpenPGP message, no
 * compression of its own), with the encryption on a worker thread (`pgp-encrypt-worker.mjs`).
 *
 * openpgp encrypts at about the speed we write CSV, on the JavaScript thread: inline, it made a
 * PGP file take 1.3–1.8× as long as a plain one. On its own thread it runs beside the writer, so
 * on two cores an encrypted file takes about the time of a plain one. Chunks cross the thread
 * boundary by transfer; credits in both directions (`windowBytes`, 1 MB by default) keep memory
 * bounded whatever the file size: writes wait while a window of plaintext is not yet taken by
 * openpgp, and the worker waits while a window of ciphertext is not yet read from this stream.
 * Resolves once the key is read and encryption is set up; a bad key rejects here.
 */
export async function pgpEncryptStream(armoredPublicKey: string, opts: { windowBytes?: number } = {}): Promise<Duplex> {
  const windowBytes = opts.windowBytes ?? 1024 * 1024;
  const worker = new Worker(new URL('./pgp-encrypt-worker.mjs', import.meta.url), {
    workerData: { armoredKey: armoredPublicKey, windowBytes },
    // The worker loads only plain JavaScript: no need for the parent's TypeScript loader flags.
    execArgv: [],
  });
  let inFlight = 0; // plaintext posted, not yet taken by openpgp
  let resumeWrite: (() => void) | null = null;
  let pendingAck = 0; // ciphertext pushed while the reader was full, acknowledged on its next read
  let finished = false;
  let isReady = false;

  const stream = new Duplex({
    readableHighWaterMark: 256 * 1024,
    writableHighWaterMark: 256 * 1024,
    write(chunk: Buffer, _enc, cb) {
      // Copy into a buffer of its own: a Buffer may be a view on a shared pool that cannot be transferred.
      const owned = new Uint8Array(chunk.byteLength);
      owned.set(chunk);
      inFlight += owned.byteLength;
      worker.postMessage({ type: 'data', chunk: owned.buffer }, [owned.buffer]);
      if (inFlight <= windowBytes) cb();
      else resumeWrite = () => cb();
    },
    final(cb) {
      worker.postMessage({ type: 'end' });
      cb();
    },
    read() {
      if (pendingAck > 0) {
        worker.postMessage({ type: 'ack', bytes: pendingAck });
        pendingAck = 0;
      }
    },
    destroy(err, cb) {
      finished = true;
      void worker.terminate();
      cb(err);
    },
  });

  const ready = new Promise<void>((resolve, reject) => {
    worker.on('message', (m: { type: string; chunk?: ArrayBuffer; bytes?: number; message?: string }) => {
      switch (m.type) {
        case 'ready':
          isReady = true;
          resolve();
          break;
        case 'consumed':
          inFlight -= m.bytes!;
          if (inFlight <= windowBytes && resumeWrite) {
            const go = resumeWrite;
            resumeWrite = null;
            go();
          }
          break;
        case 'out': {
          const bytes = m.chunk!.byteLength;
          if (stream.push(Buffer.from(m.chunk!))) worker.postMessage({ type: 'ack', bytes });
          else pendingAck += bytes;
          break;
        }
        case 'done':
          finished = true;
          stream.push(null);
          break;
        case 'error': fail(new Error(`PGP encryption failed: ${m.message}`)); break;
      }
    });
    worker.on('error', fail);
    worker.on('exit', (code) => {
      if (!finished) fail(new Error(`PGP encryption worker stopped (exit code ${code}) before the end of the file`));
    });
    // Before the stream is handed out nobody listens to its errors: the promise carries them.
    function fail(e: Error): void {
      finished = true;
      if (isReady) stream.destroy(e);
      else {
        reject(e);
        stream.destroy();
      }
    }
  });
  await ready;
  return stream;
}
