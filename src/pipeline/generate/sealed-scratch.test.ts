import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { openSealedScratch } from './sealed-scratch.js';

const dir = mkdtempSync(join(tmpdir(), 'vf-scratch-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function collect(into: PassThrough): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of into) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

describe('sealed scratch file', () => {
  it('holds bytes sealed on disk and replays them between a head and a tail', async () => {
    const path = join(dir, 'a.members');
    const s = openSealedScratch(path);
    const body = Buffer.concat(Array.from({ length: 40 }, (_, i) => Buffer.from(`NM1*IL*1*DOE*JANE****34*12345678${i % 10}~\n`.repeat(1000))));
    s.input.end(body);
    await s.written;
    expect(readFileSync(path).includes(Buffer.from('NM1*IL'))).toBe(false);
    const out = new PassThrough();
    const got = collect(out);
    await s.replay(out, Buffer.from('HEAD~'), Buffer.from('TAIL~'));
    expect((await got).equals(Buffer.concat([Buffer.from('HEAD~'), body, Buffer.from('TAIL~')]))).toBe(true);
    await s.remove();
  });

  it('refuses to replay bytes changed on disk', async () => {
    const path = join(dir, 'b.members');
    const s = openSealedScratch(path);
    s.input.end(randomBytes(100_000));
    await s.written;
    const bytes = readFileSync(path);
    bytes[5_000]! ^= 1;
    writeFileSync(path, bytes);
    const out = new PassThrough();
    void collect(out).catch(() => {});
    await expect(s.replay(out, Buffer.alloc(0), Buffer.alloc(0))).rejects.toThrow(/authenticate/);
  });
});
