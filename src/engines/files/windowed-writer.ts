import type { FileWriter } from './port.js';

export interface WindowedWriterOptions {
  start: number;
  /** Largest single write request (an SFTP server's limit). */
  pieceSize: number;
  /** Requests kept in flight: throughput on a link is window ÷ round trip. */
  maxInFlight: number;
  issue(piece: Buffer, position: number): Promise<void>;
  closeHandle(): Promise<void>;
}

/**
 * Keeps up to `maxInFlight` positioned writes outstanding and tracks the contiguous acknowledged
 * prefix. The first failed write poisons the writer: later calls rethrow it.
 */
export function createWindowedWriter(opts: WindowedWriterOptions): FileWriter {
  let position = opts.start;
  let acknowledged = opts.start;
  let failure: unknown;
  let closed = false;
  const inFlight: { end: number; done: boolean; promise: Promise<void> }[] = [];
  const listeners: ((offset: number) => void)[] = [];
  let wake: (() => void) | undefined;

  const settle = () => {
    let advanced = false;
    while (inFlight.length > 0 && inFlight[0]!.done) {
      acknowledged = inFlight.shift()!.end;
      advanced = true;
    }
    if (advanced) for (const l of listeners) l(acknowledged);
    wake?.();
  };

  const outstanding = () => inFlight.filter((w) => !w.done).length;

  const waitForRoom = async () => {
    while (failure === undefined && outstanding() >= opts.maxInFlight) {
      await new Promise<void>((resolve) => { wake = resolve; });
      wake = undefined;
    }
    if (failure !== undefined) throw failure;
  };

  return {
    pieceSize: opts.pieceSize,
    get acknowledged() { return acknowledged; },
    onAcknowledged(listener) { listeners.push(listener); },
    async write(chunk) {
      if (closed) throw new Error('write after close');
      for (let off = 0; off < chunk.length; off += opts.pieceSize) {
        await waitForRoom();
        const piece = chunk.subarray(off, Math.min(chunk.length, off + opts.pieceSize));
        const entry = { end: position + piece.length, done: false, promise: Promise.resolve() };
        entry.promise = opts.issue(piece, position).then(
          () => { entry.done = true; settle(); },
          (e: unknown) => { failure ??= e; wake?.(); },
        );
        inFlight.push(entry);
        position += piece.length;
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      await Promise.all(inFlight.map((w) => w.promise));
      try {
        if (failure !== undefined) throw failure;
      } finally {
        await opts.closeHandle();
      }
    },
    async abort() {
      if (closed) return;
      closed = true;
      failure ??= new Error('writer aborted');
      await opts.closeHandle().catch(() => undefined);
    },
  };
}
