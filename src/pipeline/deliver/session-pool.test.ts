import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { startEndpoint, type TestEndpoint } from '../../../test/support/file-endpoints.js';
import { createSessionPool, type Connect } from './session-pool.js';
import type { VendorEndpoint } from './vendor-endpoint.js';

/**
 * One session is shared by everything talking to the same server (three vendors of the demo, two
 * tenants of one vendor). A user that reports it broken must not close it under the others: ssh2
 * drops a request sent on a closed channel without calling it back, so their transfers would hang.
 */
const endpoints: TestEndpoint[] = [];
afterEach(async () => { for (const e of endpoints.splice(0)) await e.close(); });

async function embedded() {
  const ep = await startEndpoint('embedded');
  endpoints.push(ep);
  const vendor = { vendorId: 'v', host: ep.sftp!.host, port: ep.sftp!.port } as VendorEndpoint;
  let opened = 0;
  const connect: Connect = async () => { opened++; return ep.open(); };
  return { ep, vendor, connect, opened: () => opened };
}

const drain = (r: NodeJS.ReadableStream) => pipeline(r, new Writable({ write(_c, _e, cb) { cb(); } }));

describe('session pool', () => {
  it('keeps a session reported broken open for its other users, hands it to no one new, closes it after the last', async () => {
    const { ep, vendor, connect, opened } = await embedded();
    writeFileSync(join(ep.onDisk, 'f.bin'), Buffer.alloc(300_000, 1));
    const pool = createSessionPool({ connect });
    try {
      const a = await pool.acquire(vendor);
      const b = await pool.acquire(vendor);
      expect(b).toBe(a);
      pool.release(a, { broken: true }); // a's own failure (say, a file another poll already took)
      await drain(b.read(`${ep.base}/f.bin`)); // b's download still completes
      const c = await pool.acquire(vendor);
      expect(c).not.toBe(b);
      expect(opened()).toBe(2);
      pool.release(b);
      await expect.poll(() => (b as { alive?: boolean }).alive, { timeout: 3000 }).toBe(false);
      pool.release(c);
    } finally {
      await pool.close();
    }
  });

  it('a read on a session that has closed fails at once instead of waiting forever', async () => {
    const { ep, connect } = await embedded();
    writeFileSync(join(ep.onDisk, 'g.bin'), Buffer.alloc(10_000, 2));
    const store = await connect({} as VendorEndpoint);
    await store.close();
    await expect(drain(store.read(`${ep.base}/g.bin`))).rejects.toThrow(/session .* is closed/);
  });
});
