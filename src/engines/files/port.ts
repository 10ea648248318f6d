import type { Readable } from 'node:stream';

/**
 * The files port: one session to one file endpoint (a local directory or an SFTP server). Paths are
 * POSIX and absolute within the endpoint. A session owns its connection; `close()` releases it.
 */
export interface FileEntry {
  name: string;
  path: string;
  size: number;
  /** Modification time in whole seconds × 1000 (SFTP v3 carries seconds only). */
  mtimeMs: number;
  isFile: boolean;
}

/**
 * A positioned, pipelined writer. Writes are issued in order at increasing offsets and may be
 * acknowledged out of order; `acknowledged` is the end of the longest prefix the endpoint has
 * confirmed with no gap — the only offset it is safe to resume from.
 */
export interface FileWriter {
  /**
   * Queues `chunk` after the previous one; resolves when there is room in the window (back-pressure).
   * Once it resolves the writer no longer needs `chunk`: the caller may refill the same buffer.
   */
  write(chunk: Buffer): Promise<void>;
  /**
   * The largest single write request. A chunk is cut into requests of this size, so chunks that are a
   * multiple of it leave no short request behind at each chunk's end.
   */
  readonly pieceSize: number;
  readonly acknowledged: number;
  /** Called whenever `acknowledged` advances. */
  onAcknowledged(listener: (offset: number) => void): void;
  /** Waits for every write to be acknowledged, then closes the handle. */
  close(): Promise<void>;
  /** Closes without waiting; outstanding writes may or may not have landed. */
  abort(): Promise<void>;
}

export interface FileStore {
  readonly engine: 'local' | 'sftp';
  /** Regular files and directories directly in `dir` (not recursive), sorted by name. */
  list(dir: string): Promise<FileEntry[]>;
  /** `undefined` when nothing exists at `path`. */
  stat(path: string): Promise<FileEntry | undefined>;
  /**
   * Opens `path` for writing from `offset`: with 0 the file is created or truncated; otherwise it must
   * exist and is first truncated to `offset`, so bytes past an unacknowledged gap never survive.
   */
  openWriter(path: string, opts: { offset: number }): Promise<FileWriter>;
  /** Streams the file's bytes from `start` (default 0) to its end. */
  read(path: string, opts?: { start?: number }): Readable;
  /** Renames `from` to `to`, replacing `to` if it exists. */
  rename(from: string, to: string): Promise<void>;
  /** Removes a file; a missing file is not an error. */
  remove(path: string): Promise<void>;
  /** Creates `dir` and its missing parents. */
  mkdirp(dir: string): Promise<void>;
  close(): Promise<void>;
}

export function joinPath(dir: string, name: string): string {
  return `${dir.replace(/\/+$/, '')}/${name}`;
}

export function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

export function dirName(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}
