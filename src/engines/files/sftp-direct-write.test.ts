import { createHash, randomBytes } from 'node:crypto';
import { openSync, readSync, closeSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENDPOINT_KINDS, startEndpoint, type TestEndpoint } from '../../../test/support/file-endpoints.js';
import { openSftpStore } from './sftp-store.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

// Write requests under AES-GCM are built straight into SSH packets (sftp-direct-write.ts); under any
// other cipher they go through ssh2's own path. Both must land the same bytes at the same offsets.
describe.each(ENDPOINT_KINDS.filter((k) => k !== 'local'))('SFTP write requests by cipher: %s', (kind) => {
  let ep: TestEndpoint;
  beforeAll(async () => { ep = await startEndpoint(kind); }, 30_000);
  afterAll(async () => { await ep?.close(); });

  it.each([['aes128-gcm@openssh.com'], ['aes256-gcm@openssh.com'], ['aes128-ctr']])('%s: many requests, odd sizes, a reused buffer', async (cipher) => {
    const store = await openSftpStore({ ...ep.sftp!, ciphers: [cipher] });
    try {
      const data = randomBytes(5 * 1024 * 1024 + 4321);
      const shared = Buffer.alloc(700_001);
      const name = `w-${cipher}.bin`;
      const w = await store.openWriter(`${ep.base}/${name}`, { offset: 0 });
      for (let off = 0; off < data.length; off += shared.length) {
        const n = data.copy(shared, 0, off, off + shared.length);
        await w.write(shared.subarray(0, n));
        shared.fill(0x5a);
      }
      await w.close();
      expect(w.acknowledged).toBe(data.length);
      const back: Buffer[] = [];
      for await (const c of store.read(`${ep.base}/${name}`)) back.push(c as Buffer);
      expect(sha(Buffer.concat(back))).toBe(sha(data));
    } finally {
      await store.close();
    }
  }, 60_000);

  it('writes at an offset past 4 GiB (the offset\'s high word)', async () => {
    const store = await openSftpStore({ ...ep.sftp!, ciphers: ['aes128-gcm@openssh.com'] });
    try {
      const path = `${ep.base}/far.bin`;
      const first = await store.openWriter(path, { offset: 0 });
      await first.write(Buffer.from('start'));
      await first.close();
      // Reopening at an offset first truncates (extends) the file there: a sparse file on disk.
      const far = 5 * 1024 ** 3 + 12_345;
      const tail = randomBytes(300_000);
      const w = await store.openWriter(path, { offset: far });
      await w.write(tail);
      await w.close();
      const onDisk = join(ep.onDisk, 'far.bin');
      expect(statSync(onDisk).size).toBe(far + tail.length);
      const fd = openSync(onDisk, 'r');
      const got = Buffer.alloc(tail.length);
      try { readSync(fd, got, 0, got.length, far); } finally { closeSync(fd); }
      expect(got.equals(tail)).toBe(true);
    } finally {
      await store.close();
    }
  }, 60_000);
});
