import { Transform, type TransformCallback } from 'node:stream';
import { bufferEncoding, type Encoding } from './charset.js';
import type { OutboundRecord } from './outbound-record.js';

/** File-level facts a header, trailer, file name or detail column may use. */
export interface FileFacts {
  id: string; name: string; seq: number; controlNumber: number;
  /** ISO date and HHmm time of generation in the vendor's time zone. */
  date: string; time: string;
  tenant: string; vendor: string; kind: 'full' | 'change'; environment: 'test' | 'production';
}

export interface WriterStats { records: number; lines: number; members: number; dependents: number; rejected: number; bytes: number }

export type Rendered = { ok: true; text: string; lines: number; dependents: number } | { ok: false; column: string; message: string };

export interface RejectedRecord { record: OutboundRecord; column: string; message: string }

export interface WriterOptions {
  /** Bytes gathered before a chunk is pushed (64 KB by default: per-row writes starve gzip, PGP and SFTP). */
  chunkBytes?: number;
  /** Called for a record the format cannot represent (it is left out of the file). */
  onReject?: (r: RejectedRecord) => void;
  /**
   * The header states totals of the records (an 834's QTY counts): the writer's output is the records
   * alone, and `closing()` renders header and trailer once they all went through — one pass over the
   * records instead of a counting pass before the writing one.
   */
  headerLast?: boolean;
}

/**
 * The streaming shape every format shares: OutboundRecords in (object mode), encoded bytes out in
 * large chunks, with backpressure from the readable side. Subclasses render text; this class batches,
 * encodes and counts. The header is written before the first record, the trailer at the end, so an
 * empty file still has both.
 */
export abstract class RecordWriter extends Transform {
  readonly stats: WriterStats = { records: 0, lines: 0, members: 0, dependents: 0, rejected: 0, bytes: 0 };
  /** One string builder, turned into bytes once it holds a chunk's worth (V8 ropes make `+=` cheap). */
  private pending = '';
  private started = false;
  private readonly chunkChars: number;
  private readonly byteEncoding: BufferEncoding;

  protected readonly headerLast: boolean;

  protected constructor(encoding: Encoding, private readonly options: WriterOptions) {
    super({ writableObjectMode: true, readableObjectMode: false, writableHighWaterMark: 256 });
    this.byteEncoding = bufferEncoding(encoding);
    // Characters, not bytes: a UTF-8 chunk may be a little larger, never smaller than asked for ASCII text.
    this.chunkChars = options.chunkBytes ?? 64 * 1024;
    this.headerLast = options.headerLast ?? false;
  }

  /** Text before the first record. */
  protected abstract renderHeader(): string;
  /** One record as text, or why the format cannot carry it. */
  abstract render(record: OutboundRecord): Rendered;
  /** Text after the last record (counts and totals are final here). */
  protected abstract renderTrailer(): string;

  override _transform(record: OutboundRecord, _enc: BufferEncoding, done: TransformCallback): void {
    try {
      this.start();
      const r = this.render(record);
      if (!r.ok) {
        this.stats.rejected++;
        this.options.onReject?.({ record, column: r.column, message: r.message });
      } else {
        this.stats.records++;
        this.stats.lines += r.lines;
        this.stats.members += 1 + r.dependents;
        this.stats.dependents += r.dependents;
        this.append(r.text);
      }
      done();
    } catch (e) {
      done(e as Error);
    }
  }

  override _flush(done: TransformCallback): void {
    try {
      this.start();
      if (!this.headerLast) this.append(this.renderTrailer());
      this.emitPending();
      done();
    } catch (e) {
      done(e as Error);
    }
  }

  private start(): void {
    if (this.started) return;
    this.started = true;
    if (!this.headerLast) this.append(this.renderHeader());
  }

  /** A header-last writer's header and trailer, encoded, after its output ended; they go around that output. */
  closing(): { header: Buffer; trailer: Buffer } {
    if (!this.headerLast) throw new Error('closing() is for a header-last writer');
    const header = Buffer.from(this.renderHeader(), this.byteEncoding);
    const trailer = Buffer.from(this.renderTrailer(), this.byteEncoding);
    this.stats.bytes += header.length + trailer.length;
    return { header, trailer };
  }

  private append(text: string): void {
    this.pending += text;
    if (this.pending.length >= this.chunkChars) this.emitPending();
  }

  private emitPending(): void {
    if (this.pending.length === 0) return;
    const chunk = Buffer.from(this.pending, this.byteEncoding);
    this.pending = '';
    this.stats.bytes += chunk.length;
    this.push(chunk);
  }
}
