import type { LookupAddress } from 'node:dns';
import type { LookupFunction } from 'node:net';
import { Agent, type Dispatcher } from 'undici';
import { NonRetryableError } from '../../shared/errors.js';
import { checkUrl, type CheckUrlDeps } from './check-url.js';
import type { SsrfReason } from './reasons.js';
import type { UrlPolicy } from './url-policy.js';

export const MAX_REDIRECTS = 3;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

export interface SafeFetchOptions {
  method?: 'GET' | 'HEAD';
  /** Sent to the first URL and to later hops on the same origin only (never leaked cross-origin). */
  headers?: Record<string, string>;
  /** At most MAX_REDIRECTS; lower to be stricter. */
  maxRedirects?: number;
  /** Connect, headers and body idle timeout of each hop. Default 10,000 ms. */
  timeoutMs?: number;
  /** Extra trust anchors for https (a vendor's private CA); the system roots otherwise. */
  ca?: string | Buffer;
}

export interface SafeResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The body stream; consume or `dump()` it. Its connection closes when it ends. */
  body: Dispatcher.ResponseData['body'];
  /** The URL that answered, after redirects. */
  url: string;
  /** Every URL requested, in order (the first is the one asked for). */
  hops: string[];
  /** The checked address set the final hop was pinned to. */
  addresses: string[];
}

/**
 * A URL refused by the SSRF guard, possibly after redirects. `reason` is REDIRECT_BLOCKED when a
 * later hop was refused by the address/host checks (its own reason is `hopReason`), and
 * HTTPS_DOWNGRADE or TOO_MANY_REDIRECTS for those redirect rules.
 */
export class UrlBlockedError extends NonRetryableError {
  readonly reason: SsrfReason;
  readonly hopReason: SsrfReason;
  /** 1 = the URL asked for, 2 = the first redirect's target, ... */
  readonly hop: number;
  readonly url: string;
  constructor(args: { reason: SsrfReason; hopReason?: SsrfReason; hop: number; url: string; detail: string }) {
    super('URL_BLOCKED', `URL blocked (${args.reason}${args.hopReason && args.hopReason !== args.reason ? `/${args.hopReason}` : ''}) at hop ${args.hop}: ${args.detail}`);
    this.name = 'UrlBlockedError';
    this.reason = args.reason;
    this.hopReason = args.hopReason ?? args.reason;
    this.hop = args.hop;
    this.url = args.url;
  }
}

/**
 * Fetches a URL only if the guard admits it, and connects only to the addresses the guard checked:
 * the agent's DNS lookup is replaced by the checked set, so a second, different DNS answer (DNS
 * rebinding) is never used, while the Host header and TLS SNI still carry the host name.
 * Redirects are followed here, one hop at a time, each target checked like the first URL.
 */
export async function safeFetch(url: string, policy: UrlPolicy, deps: CheckUrlDeps, options: SafeFetchOptions = {}): Promise<SafeResponse> {
  const maxRedirects = Math.min(options.maxRedirects ?? MAX_REDIRECTS, MAX_REDIRECTS);
  const hops: string[] = [];
  let firstOrigin: string | undefined;
  const method = options.method ?? 'GET';
  let current = url;
  for (;;) {
    const hop = hops.length + 1;
    const check = await checkUrl(current, policy, deps);
    if (!check.allowed) {
      throw new UrlBlockedError({ reason: hop === 1 ? check.reason! : 'REDIRECT_BLOCKED', hopReason: check.reason!, hop, url: current, detail: check.detail ?? '' });
    }
    hops.push(current);
    const target = new URL(current);
    firstOrigin ??= target.origin;
    const agent = pinnedAgent(target.hostname, check.addresses!, options);
    let response: Dispatcher.ResponseData;
    try {
      response = await agent.request({
        origin: target.origin,
        path: `${target.pathname}${target.search}`,
        method,
        headers: target.origin === firstOrigin ? options.headers : undefined,
      });
    } catch (e) {
      await agent.destroy();
      throw e;
    }
    const location = header(response.headers.location);
    if (!REDIRECT_STATUSES.has(response.statusCode) || location === undefined) {
      response.body.once('close', () => void agent.close());
      return { status: response.statusCode, headers: response.headers, body: response.body, url: current, hops, addresses: check.addresses! };
    }
    await response.body.dump();
    await agent.close();

    let next: URL;
    try {
      next = new URL(location, current);
    } catch {
      throw new UrlBlockedError({ reason: 'REDIRECT_BLOCKED', hopReason: 'INVALID_URL', hop: hop + 1, url: location, detail: `redirect to an invalid URL "${location}"` });
    }
    next.hash = '';
    if (hops.length > maxRedirects) {
      throw new UrlBlockedError({ reason: 'TOO_MANY_REDIRECTS', hop: hop + 1, url: next.href, detail: `more than ${maxRedirects} redirects` });
    }
    if (target.protocol === 'https:' && next.protocol === 'http:') {
      throw new UrlBlockedError({ reason: 'HTTPS_DOWNGRADE', hop: hop + 1, url: next.href, detail: `redirect from ${target.origin} to ${next.origin}` });
    }
    current = next.href;
  }
}

/** An agent for one hop whose every connection goes to one of `addresses` (already checked). */
function pinnedAgent(hostname: string, addresses: string[], options: SafeFetchOptions): Agent {
  const timeout = options.timeoutMs ?? 10_000;
  const name = hostname.toLowerCase().replace(/\.$/, '');
  const pinned: LookupAddress[] = addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  const lookup: LookupFunction = (host, opts, callback) => {
    const family = opts.family === 'IPv4' ? 4 : opts.family === 'IPv6' ? 6 : Number(opts.family ?? 0);
    const list = pinned.filter((a) => family === 0 || a.family === family);
    if (host.toLowerCase().replace(/\.$/, '') !== name || list.length === 0) {
      callback(Object.assign(new Error(`no checked address for ${host}`), { code: 'ENOTFOUND' }), '');
    } else if (opts.all) {
      callback(null, list);
    } else {
      callback(null, list[0]!.address, list[0]!.family);
    }
  };
  return new Agent({
    connect: { lookup, timeout, ...(options.ca ? { ca: options.ca } : {}) },
    headersTimeout: timeout,
    bodyTimeout: timeout,
    connections: 1,
  });
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
