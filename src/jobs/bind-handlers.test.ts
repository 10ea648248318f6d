import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { bindHandlers, type JobImplementation } from './bind-handlers.js';

const catalogue = {
  'a.one': { payload: z.object({ id: z.string() }).strict(), writesDatabase: true },
  'a.two': { payload: z.object({ id: z.string() }).strict(), writesDatabase: false },
};
const impl = (name: string, handle: (p: unknown) => Promise<void> = async () => {}) => ({ name, handle }) as unknown as JobImplementation;

describe('bindHandlers', () => {
  it('binds one handler per catalogued job and carries writesDatabase', () => {
    const table = bindHandlers([impl('a.one'), impl('a.two')], catalogue);
    expect([...table.keys()].sort()).toEqual(['a.one', 'a.two']);
    expect(table.get('a.one')!.writesDatabase).toBe(true);
    expect(table.get('a.two')!.writesDatabase).toBe(false);
  });

  it('fails start-up on a job with no handler, two handlers, or an unknown job', () => {
    expect(() => bindHandlers([impl('a.one')], catalogue)).toThrow(/a\.two has no handler/);
    expect(() => bindHandlers([impl('a.one'), impl('a.one'), impl('a.two')], catalogue)).toThrow(/a\.one has two handlers/);
    expect(() => bindHandlers([impl('a.one'), impl('a.two'), impl('a.three')], catalogue)).toThrow(/unknown job a\.three/);
  });

  it('parses the payload and refuses a malformed one without retry', async () => {
    const seen: unknown[] = [];
    const table = bindHandlers([impl('a.one', async (p: unknown) => { seen.push(p); }), impl('a.two')], catalogue);
    await table.get('a.one')!.handler({ id: 'x' }, { id: 'j', name: 'a.one', attempt: 1 });
    expect(seen).toEqual([{ id: 'x' }]);
    await expect(table.get('a.one')!.handler({ id: 1 }, { id: 'j', name: 'a.one', attempt: 1 }))
      .rejects.toMatchObject({ name: 'NonRetryableError' });
  });
});
