import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENDPOINT_KINDS, startEndpoint, type TestEndpoint } from '../../../test/support/file-endpoints.js';
import type { FileStore } from './port.js';

async function readAll(store: FileStore, path: string, start?: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of store.read(path, start === undefined ? undefined : { start })) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe.each(ENDPOINT_KINDS)('files engine contract: %s', (kind) => {
  let ep: TestEndpoint;
  let store: FileStore;
  beforeAll(async () => {
    ep = await startEndpoint(kind);
    store = await ep.open();
  }, 30_000);
  afterAll(async () => {
    await store?.close();
    await ep?.close();
  });

  it('creates nested directories and lists them, sorted, with sizes', async () => {
    await store.mkdirp(`${ep.base}/a/b/c`);
    await store.mkdirp(`${ep.base}/a/b/c`);
    const w = await store.openWriter(`${ep.base}/a/z.txt`, { offset: 0 });
    await w.write(Buffer.from('hello'));
    await w.close();
    const w2 = await store.openWriter(`${ep.base}/a/m.txt`, { offset: 0 });
    await w2.write(Buffer.from('hi'));
    await w2.close();
    const entries = await store.list(`${ep.base}/a`);
    expect(entries.map((e) => [e.name, e.isFile])).toEqual([['b', false], ['m.txt', true], ['z.txt', true]]);
    expect(entries.find((e) => e.name === 'z.txt')!.size).toBe(5);
    expect(entries.find((e) => e.name === 'z.txt')!.mtimeMs).toBeGreaterThan(0);
  });

  it('stat reports a missing file as undefined', async () => {
    expect(await store.stat(`${ep.base}/missing.bin`)).toBeUndefined();
  });

  it('writes several MB with pipelined writes, acknowledging a contiguous prefix, and reads them back', async () => {
    const data = randomBytes(3 * 1024 * 1024 + 12345);
    const w = await store.openWriter(`${ep.base}/big.bin`, { offset: 0 });
    const acks: number[] = [];
    w.onAcknowledged((o) => acks.push(o));
    for (let off = 0; off < data.length; off += 256 * 1024) await w.write(data.subarray(off, off + 256 * 1024));
    await w.close();
    expect(w.acknowledged).toBe(data.length);
    expect(acks).toEqual([...acks].sort((a, b) => a - b));
    expect(sha(await readAll(store, `${ep.base}/big.bin`))).toBe(sha(data));
    expect(sha(readFileSync(join(ep.onDisk, 'big.bin')))).toBe(sha(data));
    expect((await readAll(store, `${ep.base}/big.bin`, 1_000_000)).equals(data.subarray(1_000_000))).toBe(true);
  });

  it('lets the caller refill its buffer as soon as write() resolves', async () => {
    // Delivery reads the spool through two reused buffers; a writer still holding one would send
    // whatever the next read put there.
    const data = randomBytes(6 * 1024 * 1024 + 777);
    const shared = Buffer.alloc(512 * 1024);
    const w = await store.openWriter(`${ep.base}/reused.bin`, { offset: 0 });
    for (let off = 0; off < data.length; off += shared.length) {
      const n = data.copy(shared, 0, off, off + shared.length);
      await w.write(shared.subarray(0, n));
      shared.fill(0xee);
    }
    await w.close();
    expect(sha(readFileSync(join(ep.onDisk, 'reused.bin')))).toBe(sha(data));
  });

  it('reopening at an offset truncates what lay beyond it before writing', async () => {
    const path = `${ep.base}/resume.bin`;
    const w = await store.openWriter(path, { offset: 0 });
    await w.write(Buffer.alloc(100_000, 1));
    await w.close();
    const w2 = await store.openWriter(path, { offset: 40_000 });
    await w2.write(Buffer.alloc(10, 2));
    await w2.close();
    const back = await readAll(store, path);
    expect(back.length).toBe(40_010);
    expect(back.subarray(0, 40_000).every((b) => b === 1)).toBe(true);
    expect(back.subarray(40_000).every((b) => b === 2)).toBe(true);
  });

  it('renames over an existing file and removes files, a missing one included', async () => {
    for (const [name, body] of [['tmp.part', 'new'], ['final.txt', 'old']] as const) {
      const w = await store.openWriter(`${ep.base}/${name}`, { offset: 0 });
      await w.write(Buffer.from(body));
      await w.close();
    }
    await store.rename(`${ep.base}/tmp.part`, `${ep.base}/final.txt`);
    expect((await readAll(store, `${ep.base}/final.txt`)).toString()).toBe('new');
    expect(await store.stat(`${ep.base}/tmp.part`)).toBeUndefined();
    await store.remove(`${ep.base}/final.txt`);
    await store.remove(`${ep.base}/final.txt`);
    expect(await store.stat(`${ep.base}/final.txt`)).toBeUndefined();
  });

  it('reading a missing file fails the stream', async () => {
    await expect(readAll(store, `${ep.base}/nope.bin`)).rejects.toThrow();
  });

  it('reads an empty file as empty', async () => {
    const w = await store.openWriter(`${ep.base}/empty.bin`, { offset: 0 });
    await w.close();
    expect((await readAll(store, `${ep.base}/empty.bin`)).length).toBe(0);
  });
});
