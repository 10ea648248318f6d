import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import {
  baselinePolicy, checkUrl, configuredResolver, urlPolicyFromSpec, urlPolicyFromSpecFile, type UrlCheck, type UrlPolicy,
} from '../../security/ssrf/index.js';
import { EXAMPLE_VENDOR_FILES, loadVendorRegistry } from '../../vendors/registry.js';
import { VendorflowError } from '../../shared/errors.js';
import { globalOptions } from '../output.js';
import type { CliContext } from '../program.js';

/** URLs checked at once; output stays in input order. */
const CONCURRENCY = 16;

/**
 * `vendorflow check-url [--vendor SPEC.yaml] URL... | -`: one line per URL, allowed or blocked and
 * why (`--json`: one JSON object per line). Exit 0 when every URL is allowed, 1 otherwise.
 */
export function registerCheckUrl(program: Command, ctx: CliContext): void {
  program.command('check-url')
    .description('Check URLs against the SSRF guard: the platform baseline, or a vendor spec\'s inbound.urls policy')
    .argument('<urls...>', 'URLs to check; "-" reads one URL per line from standard input')
    .option('--vendor <vendor>', 'vendor id or spec file (YAML) whose inbound.urls settings narrow the baseline')
    .addHelpText('after', '\nExit status: 0 when every URL is allowed, 1 when any is blocked.\n'
      + 'VENDORFLOW_RESOLVER_HOSTS=FILE resolves names from a hosts-style file instead of DNS (tests, offline use).')
    .action(async (urls: string[], opts: { vendor?: string }, cmd: Command) => {
      const g = globalOptions(cmd);
      const config = ctx.loadConfig(g.config);
      const policy = choosePolicy(opts.vendor, ctx);
      const deps = { resolver: configuredResolver(config.ssrf), dnsTimeoutMs: config.ssrf.dnsTimeoutMs };

      let blockedCount = 0;
      let total = 0;
      const print = (url: string, check: UrlCheck) => {
        total++;
        if (!check.allowed) blockedCount++;
        if (g.json) ctx.out.write(`${JSON.stringify({ url, ...check })}\n`);
        else if (check.allowed) ctx.out.write(`allowed  ${url}  (${check.addresses!.join(', ')})\n`);
        else ctx.out.write(`blocked  ${url}  ${check.reason}: ${check.detail}\n`);
      };
      await checkInOrder(inputUrls(urls), (url) => checkUrl(url, policy, deps), print);
      if (total === 0) throw new VendorflowError('USAGE', 'check-url: no URLs given');
      if (blockedCount > 0) process.exitCode = 1;
    });
}

/** `--vendor` names a spec file, or the id of a vendor in the registry (the shipped example vendors). */
function choosePolicy(vendor: string | undefined, ctx: CliContext): UrlPolicy {
  if (vendor === undefined) return baselinePolicy();
  const { policy, declared } = existsSync(vendor) || /\.ya?ml$/i.test(vendor)
    ? urlPolicyFromSpecFile(vendor)
    : urlPolicyFromSpec(loadVendorRegistry(EXAMPLE_VENDOR_FILES).get(vendor), `vendor ${vendor}`);
  if (!declared) ctx.err.write(`vendorflow: ${vendor} declares no inbound.urls policy: no host is allowlisted, every URL is blocked\n`);
  return policy;
}

/** The arguments, with "-" replaced by standard input's lines (blank lines skipped). */
async function* inputUrls(args: string[]): AsyncGenerator<string> {
  for (const arg of args) {
    if (arg !== '-') {
      yield arg;
      continue;
    }
    for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
      const url = line.trim();
      if (url) yield url;
    }
  }
}

/** Runs `check` on up to CONCURRENCY URLs at a time, printing results in input order as they settle. */
async function checkInOrder(urls: AsyncIterable<string>, check: (url: string) => Promise<UrlCheck>, print: (url: string, r: UrlCheck) => void) {
  const window: Array<{ url: string; result: Promise<UrlCheck> }> = [];
  for await (const url of urls) {
    window.push({ url, result: check(url) });
    if (window.length >= CONCURRENCY) {
      const head = window.shift()!;
      print(head.url, await head.result);
    }
  }
  for (const { url, result } of window) print(url, await result);
}
