import { createServer, connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A TCP proxy on loopback that cuts its i-th connection after `cuts[i]` bytes from the client
 * (connections past the list pass through untouched) — a link dropping mid-transfer.
 */
export async function startCuttingProxy(target: { host: string; port: number }, cuts: number[]) {
  let index = 0;
  const sockets = new Set<Socket>();
  const stats = { connections: 0, clientBytes: 0 };
  const server = createServer((client) => {
    const limit = cuts[index++] ?? Infinity;
    stats.connections++;
    const upstream = connect(target.port, target.host);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    sockets.add(client).add(upstream);
    let passed = 0;
    const cut = () => { client.destroy(); upstream.destroy(); };
    client.on('data', (d: Buffer) => {
      const room = limit - passed;
      if (d.length >= room) {
        if (room > 0) upstream.write(d.subarray(0, room));
        passed += Math.max(room, 0);
        stats.clientBytes += Math.max(room, 0);
        return cut();
      }
      passed += d.length;
      stats.clientBytes += d.length;
      if (!upstream.write(d)) { client.pause(); upstream.once('drain', () => client.resume()); }
    });
    upstream.on('data', (d: Buffer) => { if (!client.write(d)) { upstream.pause(); client.once('drain', () => upstream.resume()); } });
    client.on('error', cut).on('close', cut);
    upstream.on('error', cut).on('close', cut);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    host: '127.0.0.1',
    port: (server.address() as AddressInfo).port,
    stats,
    close: () => new Promise<void>((resolve) => { for (const s of sockets) s.destroy(); server.close(() => resolve()); }),
  };
}
