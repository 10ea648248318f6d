import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { VendorflowError } from '../../shared/errors.js';
import { describeRedis } from '../redis-check.js';
import type { Invalidation, InvalidationListener, L2Store } from './port.js';

const MGET_CHUNK = 500;

/**
 * The distributed L2: Redis under `namespace`, invalidations on the channel `<namespace>invalidate`.
 * A second connection carries the subscription (a subscribed connection can issue no commands);
 * every time it becomes ready again after the first, listeners are told to reset, because
 * messages published while it was away are lost for good.
 */
export async function createRedisStore(opts: { url: string; namespace: string; subscriberName?: string }): Promise<L2Store> {
  const ns = opts.namespace;
  const channel = `${ns}invalidate`;
  const common = { maxRetriesPerRequest: 2, connectTimeout: 3000, lazyConnect: true } as const;
  const cmd = new Redis(opts.url, common);
  const sub = new Redis(opts.url, { ...common, connectionName: opts.subscriberName ?? `vf-cache-sub-${randomBytes(4).toString('hex')}` });
  for (const c of [cmd, sub]) c.on('error', () => {}); // reconnects on its own; commands report failures
  try {
    await cmd.connect();
    await sub.connect();
  } catch (e) {
    cmd.disconnect();
    sub.disconnect();
    throw new VendorflowError('REDIS_UNREACHABLE', `cache: cannot reach ${describeRedis(opts.url)}: ${(e as Error).message}`, { cause: e });
  }

  const listeners = new Set<InvalidationListener>();
  let subscribed = false;
  sub.on('message', (ch: string, text: string) => {
    if (ch !== channel) return;
    let msg: Invalidation;
    try {
      msg = JSON.parse(text) as Invalidation;
    } catch {
      return;
    }
    if ((msg.kind === 'key' || msg.kind === 'prefix') && typeof msg.value === 'string') {
      for (const l of [...listeners]) l.onInvalidate(msg);
    }
  });
  // ioredis re-subscribes by itself on reconnect; 'ready' after the first one marks a gap.
  sub.on('ready', () => {
    if (subscribed) for (const l of [...listeners]) l.onReset();
  });

  return {
    engine: 'redis',
    async getMany(keys) {
      const out: Array<string | null> = [];
      for (let i = 0; i < keys.length; i += MGET_CHUNK) {
        out.push(...await cmd.mget(...keys.slice(i, i + MGET_CHUNK).map((k) => ns + k)));
      }
      return out;
    },
    async setMany(list) {
      for (let i = 0; i < list.length; i += MGET_CHUNK) {
        const p = cmd.pipeline();
        for (const { key, value, ttlMs } of list.slice(i, i + MGET_CHUNK)) p.set(ns + key, value, 'PX', Math.max(1, Math.round(ttlMs)));
        const res = await p.exec();
        const failed = res?.find(([err]) => err);
        if (failed) throw failed[0];
      }
    },
    async delete(keys) {
      for (let i = 0; i < keys.length; i += MGET_CHUNK) await cmd.unlink(...keys.slice(i, i + MGET_CHUNK).map((k) => ns + k));
    },
    async deletePrefix(prefix) {
      let cursor = '0';
      let n = 0;
      const match = `${escapeGlob(ns + prefix)}*`;
      do {
        const [next, keys] = await cmd.scan(cursor, 'MATCH', match, 'COUNT', 1000);
        cursor = next;
        if (keys.length) n += await cmd.unlink(...keys);
      } while (cursor !== '0');
      return n;
    },
    async publish(msg) {
      await cmd.publish(channel, JSON.stringify(msg));
    },
    async subscribe(listener) {
      listeners.add(listener);
      if (!subscribed) {
        await sub.subscribe(channel);
        subscribed = true;
      }
      return async () => { listeners.delete(listener); };
    },
    async close() {
      listeners.clear();
      await Promise.allSettled([cmd.quit(), sub.quit()]);
    },
  };
}

/** Redis glob patterns treat * ? [ ] \ specially; a prefix must match itself only. */
function escapeGlob(s: string): string {
  return s.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}
