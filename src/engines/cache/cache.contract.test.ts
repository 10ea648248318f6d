import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { TEST_REDIS_URL } from '../../../test/support/services.js';
import { createPiiCipher } from '../../security/pii-cipher.js';
import { createMemoryStore } from './memory-store.js';
import { openCache } from './open-cache.js';
import type { L2Store } from './port.js';
import { createRedisStore } from './redis-store.js';
import { TwoLayerCache } from './two-layer-cache.js';

/** The same contract on both L2 engines; the Redis one under a unique namespace, removed afterwards. */
interface Engine { name: 'memory' | 'redis'; open(): Promise<{ stores: () => Promise<L2Store>; namespace: string; cleanup(): Promise<void> }> }

const ENGINES: Engine[] = [
  {
    name: 'memory',
    async open() {
      const shared = createMemoryStore();
      return { stores: async () => shared, namespace: '', cleanup: () => shared.close() };
    },
  },
  {
    name: 'redis',
    async open() {
      const namespace = `vf-test:${randomBytes(6).toString('hex')}:`;
      const opened: L2Store[] = [];
      return {
        namespace,
        stores: async () => {
          const s = await createRedisStore({ url: TEST_REDIS_URL, namespace });
          opened.push(s);
          return s;
        },
        async cleanup() {
          await opened[0]?.deletePrefix('');
          await Promise.all(opened.map((s) => s.close()));
        },
      };
    },
  },
];

const ttl = { ttlMs: 60_000 };
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe.each(ENGINES)('L2 cache contract on $name', (engine) => {
  async function setup() {
    const e = await engine.open();
    cleanups.push(e.cleanup);
    return e;
  }
  async function cacheOn(store: L2Store) {
    const c = await TwoLayerCache.open({ l2: store });
    cleanups.push(() => c.close());
    return c;
  }

  it('stores, reads many, expires, deletes by key and by prefix (glob characters are literal)', async () => {
    const l2 = await (await setup()).stores();
    await l2.setMany([
      { key: 'emp:a*:1', value: '"a"', ttlMs: 60_000 }, { key: 'emp:a*:2', value: '"b"', ttlMs: 60_000 },
      { key: 'emp:ab:1', value: '"c"', ttlMs: 60_000 }, { key: 'short', value: '1', ttlMs: 30 },
    ]);
    expect(await l2.getMany(['emp:a*:1', 'nope', 'emp:ab:1'])).toEqual(['"a"', null, '"c"']);
    await expect.poll(async () => (await l2.getMany(['short']))[0], { timeout: 3000 }).toBeNull();
    expect(await l2.deletePrefix('emp:a*:')).toBe(2);
    expect(await l2.getMany(['emp:a*:1', 'emp:a*:2', 'emp:ab:1'])).toEqual([null, null, '"c"']);
    await l2.delete(['emp:ab:1']);
    expect(await l2.getMany(['emp:ab:1'])).toEqual([null]);
  });

  it('reads through L1 then L2 with single-flight, counting hits and misses per layer', async () => {
    const e = await setup();
    const a = await cacheOn(await e.stores());
    let loads = 0;
    const load = async () => {
      loads++;
      await new Promise((r) => setTimeout(r, 20));
      return { name: "O'Neil", at: new Date(0).toISOString() };
    };
    const got = await Promise.all(Array.from({ length: 10 }, () => a.get('dept:1', load, ttl)));
    expect(loads).toBe(1);
    expect(new Set(got.map((g) => JSON.stringify(g))).size).toBe(1);
    // L1 hands back the parsed object itself, not a re-parsed copy.
    expect(await a.get('dept:1', load, ttl)).toBe(await a.get('dept:1', load, ttl));
    expect(a.stats().l1.hits).toBe(2);
    expect(a.stats().l2).toEqual({ hits: 0, misses: 1 });

    // Another process (fresh L1) finds it in L2.
    const b = await cacheOn(await e.stores());
    expect(await b.get('dept:1', load, ttl)).toEqual(got[0]);
    expect(loads).toBe(1);
    expect(b.stats()).toMatchObject({ l1: { hits: 0, misses: 1 }, l2: { hits: 1, misses: 0 }, loads: 0 });
  });

  it('bounds L1 by the JSON size of its values: the oldest go to L2, which still answers', async () => {
    const e = await setup();
    const c = await TwoLayerCache.open({ l2: await e.stores(), l1MaxBytes: 10_000 });
    cleanups.push(() => c.close());
    const value = (i: number) => ({ i, pad: 'x'.repeat(1_000) }); // ~1 KB of JSON each
    await c.setMany(Array.from({ length: 30 }, (_, i) => ({ key: `big:${i}`, value: value(i) })), ttl);
    const got = await c.peekMany<{ i: number }>(Array.from({ length: 30 }, (_, i) => `big:${i}`), ttl);
    expect([...got.values()].map((v) => v.i).sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, i) => i));
    // Only the newest ~9 fit in 10 KB; the rest were read back from L2.
    expect(c.stats().l1.hits).toBeGreaterThan(0);
    expect(c.stats().l1.hits).toBeLessThanOrEqual(10);
    expect(c.stats().l2.hits).toBeGreaterThanOrEqual(20);
  });

  it('getMany loads only the keys missing from both layers, in one call, and skips keys the loader lacks', async () => {
    const e = await setup();
    const a = await cacheOn(await e.stores());
    await a.setMany([{ key: 'k1', value: 1 }], ttl);
    const calls: string[][] = [];
    const got = await a.getMany<number>(['k1', 'k2', 'k3', 'k2'], async (keys) => {
      calls.push(keys);
      return new Map([['k2', 2]]);
    }, ttl);
    expect(calls).toEqual([['k2', 'k3']]);
    expect([...got].sort()).toEqual([['k1', 1], ['k2', 2]]);
    expect((await a.peekMany(['k3'], ttl)).has('k3')).toBe(false);
  });

  it('a failed load reaches every waiter and caches nothing', async () => {
    const a = await cacheOn(await (await setup()).stores());
    const boom = async () => { await new Promise((r) => setTimeout(r, 10)); throw new Error('service down'); };
    const results = await Promise.allSettled([a.get('x', boom, ttl), a.get('x', boom, ttl)]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(await a.get('x', async () => 'ok', ttl)).toBe('ok');
  });

  it('invalidation by key and by prefix reaches the other cache and removes L2 copies', async () => {
    const e = await setup();
    const a = await cacheOn(await e.stores());
    const b = await cacheOn(await e.stores());
    await a.setMany([{ key: 'unit:L1/D1', value: 'x' }, { key: 'unit:L1/D2', value: 'y' }, { key: 'other', value: 'z' }], ttl);
    for (const k of ['unit:L1/D1', 'unit:L1/D2', 'other']) await b.get(k, async () => 'loaded', ttl);
    expect(b.stats().l2.hits).toBe(3);

    await a.invalidatePrefix('unit:L1/');
    await expect.poll(() => b.stats().invalidationsReceived, { timeout: 3000 }).toBeGreaterThanOrEqual(1);
    expect(await b.get('unit:L1/D1', async () => 'fresh', ttl)).toBe('fresh');
    expect(await b.get('other', async () => 'fresh', ttl)).toBe('z');

    await a.invalidate('other');
    await expect.poll(() => b.stats().invalidationsReceived, { timeout: 3000 }).toBeGreaterThanOrEqual(2);
    expect(await b.get('other', async () => 'fresh', ttl)).toBe('fresh');
  });

  it('a load in flight when its key is invalidated answers but is not cached', async () => {
    const a = await cacheOn(await (await setup()).stores());
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    const pending = a.get('k', async () => { await gate; return 'old'; }, ttl);
    await new Promise((r) => setTimeout(r, 10));
    await a.invalidate('k');
    release();
    expect(await pending).toBe('old');
    expect(await a.get('k', async () => 'new', ttl)).toBe('new');
  });
});

describe('Redis invalidation across processes', () => {
  it('an invalidation published here is received by another process, which drops its L1 copy', async () => {
    const namespace = `vf-test:${randomBytes(6).toString('hex')}:`;
    const store = await createRedisStore({ url: TEST_REDIS_URL, namespace });
    const cache = await TwoLayerCache.open({ l2: store });
    cleanups.push(async () => { await cache.close(); await store.deletePrefix(''); await store.close(); });
    const script = fileURLToPath(new URL('./fixtures/invalidation-listener.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', script, TEST_REDIS_URL, namespace, 'emp:E1:hris:v3'], { stdio: ['ignore', 'pipe', 'inherit'] });
    cleanups.push(async () => { if (child.exitCode === null) child.kill('SIGKILL'); });
    const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
    expect((await lines.next()).value).toBe('ready');
    await cache.invalidatePrefix('emp:E1:');
    const report = JSON.parse((await lines.next()).value as string);
    expect(report).toEqual({ received: 1, present: false, l1Hits: 0 });
  });

  it('flushes L1 when the subscription reconnects (messages may have been lost)', async () => {
    const namespace = `vf-test:${randomBytes(6).toString('hex')}:`;
    const subscriberName = `vf-test-sub-${randomBytes(6).toString('hex')}`;
    const store = await createRedisStore({ url: TEST_REDIS_URL, namespace, subscriberName });
    const cache = await TwoLayerCache.open({ l2: store });
    cleanups.push(async () => { await cache.close(); await store.deletePrefix(''); await store.close(); });
    await cache.get('k', async () => 'v1', ttl);
    // Another writer changes L2 behind our back; only an invalidation (lost here) would tell us.
    const admin = new Redis(TEST_REDIS_URL);
    cleanups.push(async () => { admin.disconnect(); });
    await admin.set(`${namespace}k`, JSON.stringify('v2'));
    expect(await cache.get('k', async () => 'never', ttl)).toBe('v1'); // still the L1 copy
    // Kill only this test's subscriber connection, found by its unique name.
    const line = ((await admin.client('LIST')) as string).split('\n').find((l) => l.includes(` name=${subscriberName} `));
    await admin.client('KILL', 'ID', /id=(\d+)/.exec(line!)![1]!);
    await expect.poll(() => cache.stats().resets, { timeout: 5000 }).toBeGreaterThanOrEqual(1);
    expect(await cache.get('k', async () => 'never', ttl)).toBe('v2');
  });
});

describe('embedded L2', () => {
  it('is bounded by the characters of its values: the oldest writes go first', async () => {
    const store = createMemoryStore({ maxChars: 2_500 });
    for (let i = 0; i < 5; i++) await store.setMany([{ key: `k${i}`, value: String(i).repeat(1_000), ttlMs: 60_000 }]);
    expect((await store.getMany(['k0', 'k1', 'k2', 'k3', 'k4'])).map((v) => v?.[0] ?? null)).toEqual([null, null, null, '3', '4']);
    await store.delete(['k3']);
    await store.setMany([{ key: 'k5', value: 'x'.repeat(1_000), ttlMs: 60_000 }]);
    expect((await store.getMany(['k4', 'k5'])).map((v) => v?.length)).toEqual([1_000, 1_000]); // k3's room was given back
  });
});

describe('Redis L2 at rest', () => {
  it('holds values sealed to their key: no SSN in Redis, read back by a cache with the same key, a miss for another key', async () => {
    const namespace = `vf-test:${randomBytes(6).toString('hex')}:`;
    const cipher = createPiiCipher(randomBytes(32));
    const a = await openCache({ engine: 'redis', url: TEST_REDIS_URL, namespace }, { seal: cipher });
    const raw = new Redis(TEST_REDIS_URL);
    try {
      const record = { 'person.ssn': '104398618', 'person.dateOfBirth': '1964-12-29' };
      await a.cache.setMany([{ key: 'emp:t1:E1:hris:v1', value: record }], ttl);
      const stored = (await raw.mget(...(await raw.keys(`${namespace}*`)).filter((k) => k.includes('E1'))))[0]!;
      expect(stored).not.toContain('104398618');
      expect(stored).not.toContain('1964-12-29');
      const b = await openCache({ engine: 'redis', url: TEST_REDIS_URL, namespace }, { seal: cipher });
      const other = await openCache({ engine: 'redis', url: TEST_REDIS_URL, namespace }, { seal: createPiiCipher(randomBytes(32)) });
      try {
        expect((await b.cache.peekMany(['emp:t1:E1:hris:v1'], ttl)).get('emp:t1:E1:hris:v1')).toEqual(record);
        expect((await other.cache.peekMany(['emp:t1:E1:hris:v1'], ttl)).size).toBe(0);
      } finally {
        await b.close();
        await other.close();
      }
    } finally {
      for (const k of await raw.keys(`${namespace}*`)) await raw.del(k);
      raw.disconnect();
      await a.close();
    }
  });
});
