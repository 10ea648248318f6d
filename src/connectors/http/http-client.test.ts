import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpClient, type ServiceTuning } from './http-client.js';
import { ServiceCallError } from './service-client.js';

type Handler = (req: IncomingMessage, res: ServerResponse, n: number) => void;

interface TestServer { url: string; server: Server; seen: IncomingMessage[]; close(): Promise<void> }

const servers: TestServer[] = [];
const clients: HttpClient[] = [];

async function serve(handler: Handler, port = 0): Promise<TestServer> {
  const seen: IncomingMessage[] = [];
  const server = createServer((req, res) => {
    seen.push(req);
    if (req.url === '/health') return void res.end('{"ok":true}');
    handler(req, res, seen.filter((r) => r.url !== '/health').length);
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  const s: TestServer = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, seen,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
  servers.push(s);
  return s;
}

const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
};

function client(replicas: string[], tuning: Partial<ServiceTuning> = {}, maxInFlight?: number): HttpClient {
  const c = new HttpClient({
    services: { svc: { replicas, headers: { authorization: 'Bearer t0k' }, tuning: { backoffBaseMs: 5, backoffCapMs: 20, healthIntervalMs: 50, ...tuning } } },
    ...(maxInFlight ? { maxInFlight } : {}),
  });
  clients.push(c);
  return c;
}

const dataCalls = (s: TestServer) => s.seen.filter((r) => r.url !== '/health');

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(servers.splice(0).map((s) => s.close().catch(() => {})));
});

describe('HttpClient', () => {
  it('retries 5xx with backoff, keeps one trace id across attempts and counts every outcome', async () => {
    const s = await serve((_req, res, n) => (n <= 2 ? json(res, 503, { error: 'busy' }) : json(res, 200, { ok: n })));
    const c = client([s.url]);
    const res = await c.service('svc').call({ path: '/things/1', endpoint: '/things/:id', traceId: 'a'.repeat(32) });
    expect(res).toEqual({ status: 200, body: { ok: 3 }, attempts: 3 });
    const parents = dataCalls(s).map((r) => r.headers.traceparent as string);
    expect(parents).toHaveLength(3);
    for (const p of parents) expect(p).toMatch(/^00-a{32}-[0-9a-f]{16}-01$/);
    expect(new Set(parents).size).toBe(3); // a new span per attempt
    expect(dataCalls(s)[0]!.headers.authorization).toBe('Bearer t0k');
    expect(c.counters.list()).toEqual(expect.arrayContaining([
      { service: 'svc', endpoint: '/things/:id', outcome: 'server_error', count: 2 },
      { service: 'svc', endpoint: '/things/:id', outcome: 'ok', count: 1 },
    ]));
    expect(c.stats().svc!.retries).toBe(2);
  });

  it('gives up after maxAttempts with SERVICE_UNAVAILABLE naming the service and endpoint', async () => {
    const s = await serve((_req, res) => json(res, 500, {}));
    const c = client([s.url], { maxAttempts: 3, breaker: { failureThreshold: 100, cooldownMs: 1000 } });
    const err = await c.service('svc').call({ path: '/x', endpoint: '/x' }).catch((e) => e);
    expect(err).toBeInstanceOf(ServiceCallError);
    expect(err.code).toBe('SERVICE_UNAVAILABLE');
    expect(err.message).toContain('svc /x');
    expect(dataCalls(s)).toHaveLength(3);
  });

  it('honours 429 Retry-After without using up attempts', async () => {
    const s = await serve((_req, res, n) => (n <= 5 ? json(res, 429, {}, { 'retry-after': '0' }) : json(res, 200, { n })));
    const c = client([s.url], { maxAttempts: 2 });
    const res = await c.service('svc').call({ path: '/y', endpoint: '/y' });
    expect(res.body).toEqual({ n: 6 });
    expect(c.counters.total((x) => x.outcome === 'rate_limited')).toBe(5);
    expect(c.stats().svc!.rateLimitWaits).toBe(5);
  });

  it('fails a 429 whose Retry-After is beyond the configured cap', async () => {
    const s = await serve((_req, res) => json(res, 429, {}, { 'retry-after': '3600' }));
    const c = client([s.url], { maxRetryAfterMs: 1000 });
    const err = await c.service('svc').call({ path: '/y', endpoint: '/y' }).catch((e) => e);
    expect(err.outcome).toBe('rate_limited');
    expect(dataCalls(s)).toHaveLength(1);
  });

  it('times out a call that does not answer and retries it', async () => {
    const s = await serve((_req, res, n) => { if (n > 1) json(res, 200, { n }); });
    const c = client([s.url], { timeoutMs: 150 });
    const res = await c.service('svc').call({ path: '/slow', endpoint: '/slow' });
    expect(res.body).toEqual({ n: 2 });
    expect(c.counters.total((x) => x.outcome === 'timeout')).toBe(1);
  });

  it('retries malformed JSON, then fails with SERVICE_RESPONSE_INVALID; 404 is an answer, 400 is not retried', async () => {
    const s = await serve((req, res) => {
      if (req.url === '/missing') return json(res, 404, { error: 'no such employee' });
      if (req.url === '/bad-request') return json(res, 400, { error: 'too many ids' });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"items": [');
    });
    const c = client([s.url], { maxAttempts: 3 });
    const svc = c.service('svc');
    const err = await svc.call({ path: '/broken', endpoint: '/broken' }).catch((e) => e);
    expect(err.code).toBe('SERVICE_RESPONSE_INVALID');
    expect(c.counters.total((x) => x.endpoint === '/broken' && x.outcome === 'invalid')).toBe(3);
    expect(await svc.call({ path: '/missing', endpoint: '/missing' })).toEqual({ status: 404, body: { error: 'no such employee' }, attempts: 1 });
    const bad = await svc.call({ path: '/bad-request', endpoint: '/bad-request' }).catch((e) => e);
    expect(bad.status).toBe(400);
    expect(dataCalls(s).filter((r) => r.url === '/bad-request')).toHaveLength(1);
  });

  it('opens the circuit after consecutive failures, refuses calls locally, then closes after a good half-open probe', async () => {
    let healthy = false;
    const s = await serve((_req, res) => (healthy ? setTimeout(() => json(res, 200, { ok: true }), 30) : json(res, 503, {})));
    const c = client([s.url], { maxAttempts: 1, breaker: { failureThreshold: 3, cooldownMs: 200 } });
    const svc = c.service('svc');
    for (let i = 0; i < 3; i++) await expect(svc.call({ path: '/z', endpoint: '/z' })).rejects.toThrow(/server error/);
    expect(svc.breaker.state).toBe('open');
    const refused = await svc.call({ path: '/z', endpoint: '/z' }).catch((e) => e);
    expect(refused.code).toBe('CIRCUIT_OPEN');
    expect(dataCalls(s)).toHaveLength(3);
    healthy = true;
    await new Promise((r) => setTimeout(r, 250));
    // Five calls at once: one probe goes out, the other four wait for its verdict and then pass.
    const results = await Promise.all(Array.from({ length: 5 }, () => svc.call({ path: '/z', endpoint: '/z' })));
    expect(results.every((r) => r.status === 200)).toBe(true);
    expect(svc.breaker.state).toBe('closed');
    expect(c.stats().svc!.breakerTrips).toBe(1);
    expect(c.counters.total((x) => x.outcome === 'circuit_open')).toBe(1);
  });

  it('keeps at most `concurrency` calls in flight per service', async () => {
    let now = 0;
    let peak = 0;
    const s = await serve((_req, res) => {
      now++;
      peak = Math.max(peak, now);
      setTimeout(() => { now--; json(res, 200, {}); }, 10);
    });
    const c = client([s.url], { concurrency: 3 });
    await Promise.all(Array.from({ length: 20 }, (_, i) => c.service('svc').call({ path: `/c/${i}`, endpoint: '/c/:i' })));
    expect(peak).toBe(3);
  });

  it('round-robins across replicas, skips a dead one without losing calls, and re-admits it when healthy', async () => {
    const a = await serve((_req, res) => json(res, 200, { from: 'a' }));
    const b = await serve((_req, res) => json(res, 200, { from: 'b' }));
    // Health probes time out after their interval (250 ms at least): at 1 s, a loaded machine does not
    // mark the live replica down too, which would rightly count failures against the service.
    const c = client([a.url, b.url], { breaker: { failureThreshold: 2, cooldownMs: 60_000 }, healthIntervalMs: 1000 });
    const svc = c.service('svc');
    const call = (i: number) => svc.call({ path: `/r/${i}`, endpoint: '/r/:i' });
    const first = await Promise.all(Array.from({ length: 10 }, (_, i) => call(i)));
    expect(first.filter((r) => (r.body as { from: string }).from === 'a')).toHaveLength(5);

    const bPort = new URL(b.url).port;
    await b.close();
    const during = await Promise.all(Array.from({ length: 20 }, (_, i) => call(100 + i)));
    expect(during.every((r) => (r.body as { from: string }).from === 'a')).toBe(true);
    expect(svc.replicaSet.healthyCount).toBe(1);
    expect(svc.breaker.state).toBe('closed'); // one dead replica is not a dead service

    const b2 = await serve((_req, res) => json(res, 200, { from: 'b2' }), Number(bPort));
    await expect.poll(() => svc.replicaSet.healthyCount, { timeout: 5000 }).toBe(2);
    const after = await Promise.all(Array.from({ length: 10 }, (_, i) => call(200 + i)));
    expect(after.some((r) => (r.body as { from: string }).from === 'b2')).toBe(true);
    expect(dataCalls(b2).length).toBeGreaterThan(0);
  });

  it('shares one in-flight limit across services', async () => {
    let now = 0;
    let peak = 0;
    const s = await serve((_req, res) => {
      now++;
      peak = Math.max(peak, now);
      setTimeout(() => { now--; json(res, 200, {}); }, 10);
    });
    const c = new HttpClient({
      services: { one: { replicas: [s.url] }, two: { replicas: [s.url] } },
      maxInFlight: 4,
    });
    clients.push(c);
    await Promise.all(Array.from({ length: 30 }, (_, i) => c.service(i % 2 ? 'one' : 'two').call({ path: `/p/${i}`, endpoint: '/p/:i' })));
    expect(peak).toBe(4);
  });
});
