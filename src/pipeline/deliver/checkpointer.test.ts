import { describe, expect, it } from 'vitest';
import { createCheckpointer } from './checkpointer.js';

const MB = 1024 * 1024;

/** A save that finishes only when the test says so. */
function manualSaves() {
  const calls: { offset: number; finish: (err?: Error) => void }[] = [];
  let running = 0;
  let overlapped = false;
  const save = (offset: number) => new Promise<void>((resolve, reject) => {
    if (++running > 1) overlapped = true;
    calls.push({ offset, finish: (err) => { running--; if (err) reject(err); else resolve(); } });
  });
  return { save, calls, get overlapped() { return overlapped; } };
}
const tick = () => new Promise((r) => setImmediate(r));

describe('createCheckpointer', () => {
  it('saves once per step of contiguous acknowledged bytes, from the starting offset', async () => {
    const saved: number[] = [];
    const c = createCheckpointer(4 * MB, 8 * MB, async (at) => { saved.push(at); });
    for (let acked = 4 * MB + MB; acked <= 30 * MB; acked += MB) {
      c.acknowledged(acked);
      await tick();
    }
    await c.settled();
    expect(saved).toEqual([12 * MB, 20 * MB, 28 * MB]);
  });

  it('folds acknowledgements that arrive during a save into one later save of the latest offset', async () => {
    const s = manualSaves();
    const c = createCheckpointer(0, 8 * MB, s.save);
    c.acknowledged(8 * MB);
    c.acknowledged(16 * MB);
    c.acknowledged(17 * MB); // under a step past the last request: not worth a save
    c.acknowledged(24 * MB);
    expect(s.calls.map((x) => x.offset)).toEqual([8 * MB]);
    s.calls[0]!.finish();
    await tick();
    expect(s.calls.map((x) => x.offset)).toEqual([8 * MB, 24 * MB]);
    s.calls[1]!.finish();
    await c.settled();
    expect(s.overlapped).toBe(false);
  });

  it('settles only after the running save, and reports the last save failing', async () => {
    const s = manualSaves();
    const c = createCheckpointer(0, 8 * MB, s.save);
    c.acknowledged(8 * MB);
    let settled = false;
    const done = c.settled().then(() => { settled = true; }, (e: Error) => { settled = true; throw e; });
    await tick();
    expect(settled).toBe(false);
    s.calls[0]!.finish(new Error('database gone'));
    await expect(done).rejects.toThrow('database gone');
  });

  it('forgets a failure that a later save made good', async () => {
    const s = manualSaves();
    const c = createCheckpointer(0, 8 * MB, s.save);
    c.acknowledged(8 * MB);
    c.acknowledged(16 * MB);
    s.calls[0]!.finish(new Error('blip'));
    await tick();
    s.calls[1]!.finish();
    await expect(c.settled()).resolves.toBeUndefined();
  });
});
