import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { isAbsolute, join, normalize } from 'node:path';
import type { FileEntry, FileStore } from './port.js';
import { baseName } from './port.js';
import { createWindowedWriter } from './windowed-writer.js';

/**
 * The local-directory engine: endpoint paths are resolved under `root`, which stands in for a vendor
 * server in the embedded set-up and in tests. `..` cannot climb out of the root.
 */
export function createLocalStore(root: string): FileStore {
  const resolvePath = (p: string) => {
    const rel = normalize(`/${p}`);
    if (!isAbsolute(rel)) throw new Error(`bad path ${p}`);
    return join(root, rel);
  };
  const entry = async (path: string): Promise<FileEntry | undefined> => {
    try {
      const s = await stat(resolvePath(path));
      return { name: baseName(path), path, size: s.size, mtimeMs: Math.floor(s.mtimeMs / 1000) * 1000, isFile: s.isFile() };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  };

  return {
    engine: 'local',
    async list(dir) {
      const names = (await readdir(resolvePath(dir))).sort();
      const out: FileEntry[] = [];
      for (const name of names) {
        const e = await entry(`${dir.replace(/\/+$/, '')}/${name}`);
        if (e) out.push(e);
      }
      return out;
    },
    stat: entry,
    async openWriter(path, { offset }) {
      const fh = await open(resolvePath(path), offset === 0 ? 'w' : 'r+');
      if (offset > 0) await fh.truncate(offset);
      return createWindowedWriter({
        start: offset,
        pieceSize: 1024 * 1024,
        maxInFlight: 4,
        issue: async (piece, position) => {
          // The caller may reuse its buffer as soon as write() returns; this write outlives that.
          piece = Buffer.from(piece);
          let done = 0;
          while (done < piece.length) {
            const { bytesWritten } = await fh.write(piece, done, piece.length - done, position + done);
            done += bytesWritten;
          }
        },
        closeHandle: () => fh.close(),
      });
    },
    read(path, opts) {
      return createReadStream(resolvePath(path), { start: opts?.start ?? 0, highWaterMark: 1024 * 1024 });
    },
    async rename(from, to) {
      await rename(resolvePath(from), resolvePath(to));
    },
    async remove(path) {
      await rm(resolvePath(path), { force: true });
    },
    async mkdirp(dir) {
      await mkdir(resolvePath(dir), { recursive: true });
    },
    async close() {},
  };
}
