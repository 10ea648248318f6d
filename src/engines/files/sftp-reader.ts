import { Readable } from 'node:stream';
import type { SFTPWrapper } from 'ssh2';

const STATUS_EOF = 1;

interface Segment { offset: number; length: number; parts: Buffer[]; got: number; ended: boolean; complete: boolean }

/**
 * A read stream that keeps several READ requests in flight (ssh2's own stream issues one at a time,
 * so it runs at one request per round trip) and pushes their data strictly in file order. Short reads
 * are continued; EOF (a file that shrank) ends the stream where the data ends.
 */
export class SftpReader extends Readable {
  private handle: Buffer | undefined;
  private size = 0;
  private next: number;
  private readonly queue: Segment[] = [];
  private wantMore = true;
  private finished = false;

  /**
   * `sessionGone` says why the session can take no more requests (null while it can): ssh2 drops a request
   * sent on a closed channel without ever calling it back, so each one is checked first.
   */
  constructor(
    private readonly sftp: SFTPWrapper,
    private readonly path: string,
    start: number,
    private readonly pieceSize: number,
    private readonly maxInFlight = 16,
    private readonly sessionGone: () => Error | null = () => null,
  ) {
    super({ highWaterMark: pieceSize * 4 });
    this.next = start;
  }

  override _construct(callback: (error?: Error | null) => void): void {
    const closed = this.sessionGone();
    if (closed) return callback(closed);
    this.sftp.open(this.path, 'r', (err, handle) => {
      if (err) return callback(err);
      this.handle = handle;
      const gone = this.sessionGone();
      if (gone) return callback(gone);
      this.sftp.fstat(handle, (err2, attrs) => {
        if (err2) return callback(err2);
        this.size = attrs.size;
        callback();
      });
    });
  }

  override _read(): void {
    this.wantMore = true;
    this.fill();
  }

  private fill(): void {
    while (this.wantMore && !this.finished && this.queue.length < this.maxInFlight && this.next < this.size) {
      const length = Math.min(this.pieceSize, this.size - this.next);
      const seg: Segment = { offset: this.next, length, parts: [], got: 0, ended: false, complete: false };
      this.queue.push(seg);
      this.next += length;
      this.request(seg);
    }
    if (this.queue.length === 0 && this.next >= this.size && !this.finished) {
      this.finished = true;
      this.push(null);
    }
  }

  private request(seg: Segment): void {
    const closed = this.sessionGone();
    if (closed) return void this.destroy(closed);
    const want = seg.length - seg.got;
    const buf = Buffer.allocUnsafe(want);
    this.sftp.read(this.handle!, buf, 0, want, seg.offset + seg.got, (err, bytesRead) => {
      if (this.destroyed) return;
      if (err && (err as { code?: number }).code !== STATUS_EOF) return void this.destroy(err);
      if (err || bytesRead === 0) {
        seg.ended = true;
        seg.complete = true;
      } else {
        seg.parts.push(buf.subarray(0, bytesRead));
        seg.got += bytesRead;
        if (seg.got < seg.length) return this.request(seg);
        seg.complete = true;
      }
      this.flush();
    });
  }

  private flush(): void {
    while (this.queue.length > 0 && this.queue[0]!.complete) {
      const seg = this.queue.shift()!;
      for (const part of seg.parts) if (!this.push(part)) this.wantMore = false;
      if (seg.ended) {
        // The file ended early: drop requests beyond it and finish here.
        this.queue.length = 0;
        this.next = this.size;
        this.finished = true;
        this.push(null);
        return;
      }
    }
    this.fill();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (!this.handle) return callback(error);
    const handle = this.handle;
    this.handle = undefined;
    if (this.sessionGone()) return callback(error); // the server dropped the handle with the session
    this.sftp.close(handle, () => callback(error));
  }
}
