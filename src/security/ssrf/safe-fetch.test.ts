import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { mapResolver, type Resolver } from './resolvers.js';
import { safeFetch, UrlBlockedError } from './safe-fetch.js';
import { allowAddressesForTesting, baselinePolicy, type UrlPolicy } from './url-policy.js';

interface Seen { path: string; host: string | undefined; authorization: string | undefined; servername?: string | false | null }

/** A loopback server whose routes are redirect scenarios; it records every request it answers. */
function start(server: Server, handler: (req: IncomingMessage, res: ServerResponse) => void, seen: Seen[], host = '127.0.0.1') {
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    seen.push({
      path: req.url!, host: req.headers.host, authorization: req.headers.authorization,
      servername: (req.socket as TLSSocket).servername,
    });
    handler(req, res);
  });
  return new Promise<number>((resolve) => server.listen(0, host, () => resolve((server.address() as AddressInfo).port)));
}

function redirect(res: ServerResponse, location: string, status = 302) {
  res.writeHead(status, { location }).end();
}

const seen: Seen[] = [];
const seenOnSecond: Seen[] = [];
const seenTls: Seen[] = [];
let port = 0;
let secondPort = 0;
let tlsPort = 0;
let v6Port = 0;
const seenV6: Seen[] = [];
let lookups: string[] = [];
let policy: UrlPolicy;
let deps: { resolver: Resolver };
let ca = '';
const servers: Server[] = [];
const certDir = mkdtempSync(join(tmpdir(), 'vf-ssrf-'));

beforeAll(async () => {
  const main = createHttpServer();
  servers.push(main);
  port = await start(main, (req, res) => {
    const url = new URL(req.url!, 'http://x');
    const n = Number(url.searchParams.get('n') ?? 0);
    switch (url.pathname) {
      case '/plan.pdf': res.writeHead(200, { 'content-type': 'application/pdf' }).end('%PDF-plan'); break;
      case '/hop': redirect(res, '/hop2'); break;
      case '/hop2': redirect(res, `http://vendor.test:${port}/plan.pdf`, 301); break;
      case '/to-metadata': redirect(res, 'http://169.254.169.254/latest/meta-data/iam/'); break;
      case '/to-internal-name': redirect(res, `http://internal.test:${port}/secret`); break;
      case '/to-second-loopback': redirect(res, `http://127.0.0.2:${secondPort}/secret`, 307); break;
      case '/to-other-origin': redirect(res, `http://127.0.0.1:${port}/plan.pdf`); break;
      case '/loop': redirect(res, `/loop?n=${n + 1}`); break;
      default: res.writeHead(404).end();
    }
  }, seen);

  // A second server on another loopback address: a redirect to it must never reach it.
  const second = createHttpServer();
  servers.push(second);
  secondPort = await start(second, (_req, res) => res.end('internal secret'), seenOnSecond, '127.0.0.2');

  // An https server with a certificate for vendor.test only: reaching it proves SNI and the name check.
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=vendor.test',
    '-addext', 'subjectAltName=DNS:vendor.test', '-keyout', join(certDir, 'key.pem'), '-out', join(certDir, 'cert.pem'),
  ], { stdio: 'ignore' });
  ca = readFileSync(join(certDir, 'cert.pem'), 'utf8');
  const secure = createHttpsServer({ key: readFileSync(join(certDir, 'key.pem')), cert: ca });
  servers.push(secure);
  tlsPort = await start(secure, (req, res) => {
    if (req.url === '/downgrade') redirect(res, `http://vendor.test:${port}/plan.pdf`);
    else res.end('secure plan');
  }, seenTls);

  // An IPv6 literal host: the brackets must not confuse the pinned lookup.
  const v6 = createHttpServer();
  servers.push(v6);
  v6Port = await start(v6, (_req, res) => res.end('v6 plan'), seenV6, '::1');

  const names = mapResolver({ 'vendor.test': ['127.0.0.1'], 'internal.test': ['10.0.0.5'] });
  deps = { resolver: (host) => { lookups.push(host); return names(host); } };
  // The local servers are on loopback and odd ports: only a test allowance for 127.0.0.1 admits them.
  policy = allowAddressesForTesting({ ...baselinePolicy(), ports: [80, 443, port, secondPort, tlsPort, v6Port] }, ['127.0.0.1', '::1']);
});

afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  rmSync(certDir, { recursive: true, force: true });
});

beforeEach(() => {
  seen.length = 0;
  seenOnSecond.length = 0;
  seenTls.length = 0;
  seenV6.length = 0;
  lookups = [];
});

async function blocked(promise: Promise<unknown>): Promise<UrlBlockedError> {
  const error = await promise.then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(UrlBlockedError);
  return error as UrlBlockedError;
}

describe('safeFetch', () => {
  it('connects to the checked address of a name system DNS does not know, keeping the Host header', async () => {
    const res = await safeFetch(`http://vendor.test:${port}/plan.pdf`, policy, deps);
    expect(res.status).toBe(200);
    expect(await res.body.text()).toBe('%PDF-plan');
    expect(res.addresses).toEqual(['127.0.0.1']);
    expect(seen).toEqual([expect.objectContaining({ path: '/plan.pdf', host: `vendor.test:${port}` })]);
    expect(lookups).toEqual(['vendor.test']);
  });

  it('fetches an IPv6 literal host as checked', async () => {
    const res = await safeFetch(`http://[::1]:${v6Port}/plan`, policy, deps);
    expect(await res.body.text()).toBe('v6 plan');
    expect(res.addresses).toEqual(['::1']);
    expect(seenV6).toEqual([expect.objectContaining({ host: `[::1]:${v6Port}` })]);
    expect(lookups).toEqual([]);
  });

  it('follows redirects by hand, checking and resolving every hop', async () => {
    const res = await safeFetch(`http://vendor.test:${port}/hop`, policy, deps);
    expect(res.status).toBe(200);
    await res.body.dump();
    expect(res.hops).toEqual([`http://vendor.test:${port}/hop`, `http://vendor.test:${port}/hop2`, `http://vendor.test:${port}/plan.pdf`]);
    expect(res.url).toBe(`http://vendor.test:${port}/plan.pdf`);
    expect(lookups).toEqual(['vendor.test', 'vendor.test', 'vendor.test']);
  });

  it('blocks at hop 2 a redirect to the metadata endpoint, after hop 1 was admitted', async () => {
    const e = await blocked(safeFetch(`http://vendor.test:${port}/to-metadata`, policy, deps));
    expect({ reason: e.reason, hopReason: e.hopReason, hop: e.hop, code: e.code }).toEqual({ reason: 'REDIRECT_BLOCKED', hopReason: 'METADATA', hop: 2, code: 'URL_BLOCKED' });
    expect(e.url).toBe('http://169.254.169.254/latest/meta-data/iam/');
    expect(seen.map((s) => s.path)).toEqual(['/to-metadata']);
  });

  it('blocks at hop 2 a redirect to a name that resolves to a private address', async () => {
    const e = await blocked(safeFetch(`http://vendor.test:${port}/to-internal-name`, policy, deps));
    expect([e.reason, e.hopReason, e.hop]).toEqual(['REDIRECT_BLOCKED', 'PRIVATE_ADDRESS', 2]);
    expect(lookups).toEqual(['vendor.test', 'internal.test']);
  });

  it('never reaches a loopback server outside the allowance', async () => {
    const e = await blocked(safeFetch(`http://127.0.0.1:${port}/to-second-loopback`, policy, deps));
    expect([e.reason, e.hopReason, e.hop]).toEqual(['REDIRECT_BLOCKED', 'LOOPBACK', 2]);
    expect(seenOnSecond).toEqual([]);
  });

  it('stops after 3 redirects', async () => {
    const e = await blocked(safeFetch(`http://vendor.test:${port}/loop`, policy, deps));
    expect([e.reason, e.hop]).toEqual(['TOO_MANY_REDIRECTS', 5]);
    expect(seen.map((s) => s.path)).toEqual(['/loop', '/loop?n=1', '/loop?n=2', '/loop?n=3']);
  });

  it('refuses the first URL before any connection', async () => {
    const e = await blocked(safeFetch('http://10.0.0.1/plan.pdf', policy, deps));
    expect([e.reason, e.hopReason, e.hop]).toEqual(['PRIVATE_ADDRESS', 'PRIVATE_ADDRESS', 1]);
    expect((await blocked(safeFetch('not a url', policy, deps))).reason).toBe('INVALID_URL');
    expect(seen).toEqual([]);
  });

  it('sends caller headers to the first origin only', async () => {
    const res = await safeFetch(`http://vendor.test:${port}/to-other-origin`, policy, deps, { headers: { authorization: 'Bearer t0ken' } });
    await res.body.dump();
    expect(seen.map((s) => [s.path, s.authorization])).toEqual([['/to-other-origin', 'Bearer t0ken'], ['/plan.pdf', undefined]]);
  });

  it('keeps SNI on the host name over https and refuses an https→http redirect', async () => {
    const res = await safeFetch(`https://vendor.test:${tlsPort}/plan`, policy, deps, { ca });
    expect(await res.body.text()).toBe('secure plan');
    expect(seenTls[0]).toMatchObject({ servername: 'vendor.test', host: `vendor.test:${tlsPort}` });

    const e = await blocked(safeFetch(`https://vendor.test:${tlsPort}/downgrade`, policy, deps, { ca }));
    expect([e.reason, e.hop]).toEqual(['HTTPS_DOWNGRADE', 2]);
    expect(seen).toEqual([]);
  });
});
