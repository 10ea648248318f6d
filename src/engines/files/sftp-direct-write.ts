import { randomFillSync } from 'node:crypto';
import type { SFTPWrapper } from 'ssh2';

/**
 * The parts of ssh2 (1.x) a direct write reaches into. Read at session start and checked on every
 * request: when any is missing or in another state, the request goes through `sftp.write` instead.
 */
interface Ssh2Internals {
  outgoing?: { id: number; window: number; packetSize: number; state: string };
  _protocol?: { _kexinit?: unknown; _queue?: unknown[]; _cipher?: GcmCipher };
  _requests?: Record<number, { cb: (err?: Error) => void }>;
  _writeReqid?: number;
  _buffer?: unknown[];
}

interface GcmCipher {
  constructor: { name: string };
  encrypt(packet: Buffer): void;
}

const SFTP_WRITE = 6;
const SSH_CHANNEL_DATA = 94;
const GCM_TAG = 16;
const PADDING_POOL = 64 * 1024;
const MAX_FREE_BUFFERS = 16;

/**
 * Sends one SFTP WRITE request as SSH packets built straight from the caller's bytes.
 *
 * ssh2's own path copies the data twice (into an SFTP request, then each 32 KB slice of it into an
 * SSH packet) and fills each packet's padding with its own `randomFillSync` call — a crypto job per
 * 32 KB, which profiled at a sixth of a 1 GB upload's main-thread time. Here the data is copied once,
 * into one buffer holding all of the request's packets, and padding is taken from a pool of random
 * bytes refilled 64 KB at a time (still from the CSPRNG; AES-GCM encrypts the padding anyway).
 *
 * Only when ssh2 would send the request whole and at once: AES-GCM with ssh2's native binding, no key
 * exchange in progress or packets held back by one, nothing of ssh2's queued behind the channel window
 * (a request must not land in the middle of another's bytes), and window for all of it. Otherwise
 * returns false and sends nothing: the caller uses `sftp.write`, which queues and waits for window.
 */
export function createDirectWrite(sftp: SFTPWrapper): (handle: Buffer, data: Buffer, position: number, cb: (err?: Error) => void) => boolean {
  const s = sftp as unknown as Ssh2Internals;
  let pool = Buffer.allocUnsafe(0);
  let poolAt = 0;
  const padding = (target: Buffer, at: number, length: number) => {
    if (poolAt + length > pool.length) {
      pool = randomFillSync(Buffer.allocUnsafe(PADDING_POOL));
      poolAt = 0;
    }
    pool.copy(target, at, poolAt, poolAt + length);
    poolAt += length;
  };

  // Request buffers are reused once answered: a fresh 256 KB buffer per request is a new external
  // allocation each time (page faults, and the collector sees external memory grow).
  const free: Buffer[] = [];
  const takeBuffer = (size: number) => {
    const i = free.findIndex((b) => b.length >= size);
    return i < 0 ? Buffer.allocUnsafeSlow(size) : free.splice(i, 1)[0]!;
  };
  const giveBack = (whole: Buffer) => {
    if (free.length < MAX_FREE_BUFFERS) free.push(whole);
  };

  return (handle, data, position, cb) => {
    const out = s.outgoing;
    const proto = s._protocol;
    const cipher = proto?._cipher;
    if (!out || !proto || !cipher || !s._requests || typeof s._writeReqid !== 'number' || !Array.isArray(s._buffer)) return false;
    // Packets ssh2 holds back during a key exchange must leave first; so must its queued SFTP bytes.
    if (out.state !== 'open' || proto._kexinit !== undefined || (proto._queue?.length ?? 0) > 0 || s._buffer.length > 0) return false;
    if (cipher.constructor.name !== 'AESGCMCipherBinding') return false;

    // uint32 length, byte WRITE, uint32 id, string handle, uint64 offset, string data
    const headerLen = 4 + 1 + 4 + 4 + handle.length + 8 + 4;
    const messageLen = headerLen + data.length;
    if (out.window < messageLen || out.packetSize < headerLen + 1) return false;

    // Each SSH packet: uint32 packet length, byte padding length, payload (byte CHANNEL_DATA, uint32
    // channel, string data), padding to a multiple of 16 (at least 4), then the GCM tag.
    const slices: number[] = [];
    let total = 0;
    for (let at = 0; at < messageLen; at += out.packetSize) {
      const slice = Math.min(out.packetSize, messageLen - at);
      slices.push(slice);
      total += packetLength(slice) + GCM_TAG;
    }
    const buf = takeBuffer(total);

    const reqid = (s._writeReqid = (s._writeReqid + 1) & (2 ** 32 - 1));
    let p = 0;
    let dataAt = 0;
    const packets: Buffer[] = [];
    for (let i = 0; i < slices.length; i++) {
      const slice = slices[i]!;
      const len = packetLength(slice);
      const padLen = len - 5 - 9 - slice;
      buf.writeUInt32BE(len - 4, p);
      buf[p + 4] = padLen;
      buf[p + 5] = SSH_CHANNEL_DATA;
      buf.writeUInt32BE(out.id, p + 6);
      buf.writeUInt32BE(slice, p + 10);
      let q = p + 14;
      let room = slice;
      if (i === 0) {
        buf.writeUInt32BE(messageLen - 4, q);
        buf[q + 4] = SFTP_WRITE;
        buf.writeUInt32BE(reqid >>> 0, q + 5);
        buf.writeUInt32BE(handle.length, q + 9);
        handle.copy(buf, q + 13);
        const o = q + 13 + handle.length;
        buf.writeUInt32BE(Math.floor(position / 2 ** 32), o);
        buf.writeUInt32BE(position >>> 0, o + 4);
        buf.writeUInt32BE(data.length, o + 8);
        q += headerLen;
        room -= headerLen;
      }
      data.copy(buf, q, dataAt, dataAt + room);
      dataAt += room;
      padding(buf, q + room, padLen);
      packets.push(buf.subarray(p, p + len + GCM_TAG));
      p += len + GCM_TAG;
    }

    out.window -= messageLen;
    s._requests[reqid] = {
      cb: (err) => {
        // A reply means the server has every byte of the request, so the socket is done with the
        // buffer. Without one (the session ended) the socket may still hold it: leave it to the GC.
        if (!err) giveBack(buf);
        cb(err);
      },
    };
    // The cipher encrypts each packet in place and hands it to the socket, counting sequence numbers.
    for (const packet of packets) cipher.encrypt(packet);
    return true;
  };
}

/** Length of an SSH packet (without its tag) carrying `slice` bytes of channel data under AES-GCM. */
function packetLength(slice: number): number {
  const body = 1 + 9 + slice; // padding length byte + CHANNEL_DATA header + data
  let padLen = 16 - (body & 15);
  if (padLen < 4) padLen += 16;
  return 4 + body + padLen;
}
