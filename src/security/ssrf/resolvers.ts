import { VendorflowError } from '../../shared/errors.js';
import { lookup } from 'node:dns/promises';
import { readFileSync } from 'node:fs';
import { parseAddress } from './classify-address.js';

/**
 * Resolves a host name to every address it has (A and AAAA). Rejects, or returns an empty list,
 * when the name does not resolve; the guard applies its own timeout around the call.
 */
export type Resolver = (hostname: string) => Promise<string[]>;

/** The operating system's resolver (getaddrinfo through dns.lookup), every address of both families. */
export function systemResolver(): Resolver {
  return async (hostname) => (await lookup(hostname, { all: true, verbatim: true })).map((a) => a.address);
}

/**
 * A resolver that answers only from a hosts-style file (`ADDRESS NAME...` per line, `#` comments; a
 * name on several lines has several addresses) and never asks DNS. For tests and offline use:
 * `VENDORFLOW_RESOLVER_HOSTS=FILE` points the CLI at one.
 */
export function hostsFileResolver(path: string): Resolver {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new VendorflowError('CONFIG_INVALID', `config: ssrf.resolverHosts (VENDORFLOW_RESOLVER_HOSTS): cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    return mapResolver(parseHostsFile(text, path));
  } catch (e) {
    throw new VendorflowError('CONFIG_INVALID', `config: ssrf.resolverHosts (VENDORFLOW_RESOLVER_HOSTS): ${(e as Error).message}`);
  }
}

/** A resolver answering from a fixed map (tests, benchmarks); unknown names do not resolve. */
export function mapResolver(entries: ReadonlyMap<string, readonly string[]> | Record<string, readonly string[]>): Resolver {
  const map = new Map<string, readonly string[]>(entries instanceof Map ? entries : Object.entries(entries));
  return async (hostname) => {
    const found = map.get(hostname.toLowerCase());
    if (!found) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return [...found];
  };
}

export function parseHostsFile(text: string, source = 'hosts file'): Map<string, string[]> {
  const map = new Map<string, string[]>();
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.replace(/#.*$/, '').trim();
    if (!line) return;
    const [address, ...names] = line.split(/\s+/);
    if (!parseAddress(address!) || names.length === 0) throw new Error(`${source}:${i + 1}: expected "ADDRESS NAME..."`);
    for (const name of names) {
      const key = name.toLowerCase().replace(/\.$/, '');
      map.set(key, [...(map.get(key) ?? []), address!]);
    }
  });
  return map;
}

/** The resolver the configuration asks for: the hosts file when `ssrf.resolverHosts` is set, else the system's. */
export function configuredResolver(settings: { resolverHosts?: string | undefined }): Resolver {
  return settings.resolverHosts ? hostsFileResolver(settings.resolverHosts) : systemResolver();
}

/**
 * One resolution per host for `ttlMs`, shared by every check that asks meanwhile: a response file
 * repeats the same few hosts on every row. The shared lookup gives up after `timeoutMs`, and the
 * failure is remembered like an answer, so a host that never answers costs one timeout per minute,
 * not one per row.
 */
export function sharedResolver(resolver: Resolver, opts: { timeoutMs: number; ttlMs?: number }): Resolver {
  const ttlMs = opts.ttlMs ?? 60_000;
  const seen = new Map<string, { at: number; answer: Promise<string[]> }>();
  return (host) => {
    const hit = seen.get(host);
    if (hit && Date.now() - hit.at < ttlMs) return hit.answer;
    let timer: NodeJS.Timeout | undefined;
    const answer = Promise.race([
      resolver(host),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(Object.assign(new Error(`no answer within ${opts.timeoutMs} ms`), { code: 'ETIMEOUT' })), opts.timeoutMs);
      }),
    ]).finally(() => clearTimeout(timer));
    answer.catch(() => {}); // each caller observes it
    seen.set(host, { at: Date.now(), answer });
    if (seen.size > 10_000) seen.delete(seen.keys().next().value!);
    return answer;
  };
}
