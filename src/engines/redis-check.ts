import { Redis } from 'ioredis';
import { VendorflowError } from '../shared/errors.js';

export function describeRedis(url: string): string {
  try {
    const u = new URL(url);
    return `Redis at ${u.hostname}:${u.port || 6379}`;
  } catch {
    return 'Redis (unparseable URL)';
  }
}

/** Fails fast with one line naming the target when Redis does not answer a PING. */
export async function checkRedisReachable(url: string): Promise<void> {
  const client = new Redis(url, { lazyConnect: true, connectTimeout: 3000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  // ioredis reports the socket's cause (ECONNREFUSED, ENOTFOUND) as an event and rejects with a
  // generic "Connection is closed"; keep the cause for the message.
  let cause: Error | undefined;
  client.on('error', (e: Error) => { cause ??= e; });
  try {
    await client.connect();
    await client.ping();
  } catch (e) {
    const reason = (cause ?? (e as Error)).message;
    throw new VendorflowError('REDIS_UNREACHABLE', `cannot reach ${describeRedis(url)}: ${reason}`, { cause: e });
  } finally {
    client.disconnect();
  }
}
