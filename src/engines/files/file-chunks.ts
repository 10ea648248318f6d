import { open } from 'node:fs/promises';

/**
 * Reads a local file from `start` to its end in `chunkSize` pieces through two buffers used in turn:
 * the next read is in flight while the caller handles the current chunk, and no new buffer is
 * allocated per chunk. A transfer allocating a fresh buffer for every megabyte read makes V8 run a
 * full mark-compact every few dozen megabytes (external memory pressure), which on a large heap costs
 * more than the transfer itself. A yielded chunk is valid only until the caller asks for the next one.
 */
export async function* fileChunks(path: string, opts: { start?: number; chunkSize?: number } = {}): AsyncGenerator<Buffer> {
  const chunkSize = opts.chunkSize ?? 1024 * 1024;
  const fh = await open(path, 'r');
  const buffers = [Buffer.allocUnsafe(chunkSize), Buffer.allocUnsafe(chunkSize)];
  let position = opts.start ?? 0;
  let turn = 0;
  let pending = fh.read(buffers[0]!, 0, chunkSize, position);
  try {
    for (;;) {
      const { bytesRead } = await pending;
      if (bytesRead === 0) return;
      const current = buffers[turn]!;
      position += bytesRead;
      turn ^= 1;
      pending = fh.read(buffers[turn]!, 0, chunkSize, position);
      yield current.subarray(0, bytesRead);
    }
  } finally {
    // An abandoned iteration leaves one read in flight: let it land before closing the handle.
    await pending.catch(() => undefined);
    await fh.close();
  }
}
