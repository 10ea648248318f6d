/**
 * SSRF guard throughput: URL checks per second (DNS answered by an in-memory resolver, so this is
 * the guard's own cost) beside a bare `new URL()` parse of the same URLs in the same run. An ingest
 * checks every URL cell of a vendor file, so the guard must stay a small multiple of parsing.
 */
import { checkUrl, mapResolver, vendorPolicy, baselinePolicy, type UrlPolicy } from '../src/security/ssrf/index.js';
import { round, vs, type BenchFn, type Metrics } from './report.js';

const resolver = mapResolver({
  'docs.vendor.com': ['93.184.215.20'],
  'x.cdn.vendor.com': ['93.184.215.21', '2606:4700::1111'],
  'internal.vendor.com': ['10.0.0.7'],
});
const deps = { resolver };

/** A vendor file's URL column: mostly good plan-document links, some hostile or broken ones. */
const NAMED = [
  'https://docs.vendor.com/plans/2024/gold.pdf',
  'https://x.cdn.vendor.com/cards/123456.png?v=2',
  'https://docs.vendor.com/plans/2024/silver.pdf#page=2',
  'https://internal.vendor.com/admin',
  'https://unknown.vendor.com/',
  'http://docs.vendor.com/plain-http',
  'https://docs.vendor.com:8443/odd-port',
  'https://user:pw@docs.vendor.com/',
];
const LITERAL = [
  'https://93.184.215.20/plan.pdf',
  'http://0x7f.1/',
  'http://2130706433/',
  'http://[::ffff:127.0.0.1]/',
  'http://[64:ff9b::a9fe:a9fe]/',
  'http://[2002:c0a8:1::]/',
  'https://[2606:4700::1111]/x',
  'http://169.254.169.254/latest/meta-data/',
];

async function guardRate(urls: string[], policy: UrlPolicy, n: number): Promise<number> {
  let allowed = 0;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) if ((await checkUrl(urls[i % urls.length]!, policy, deps)).allowed) allowed++;
  const seconds = (performance.now() - t0) / 1000;
  if (allowed === 0) throw new Error('no URL allowed: the benchmark set is wrong');
  return n / seconds;
}

function parseRate(urls: string[], n: number): number {
  let hosts = 0;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    try {
      hosts += new URL(urls[i % urls.length]!).hostname.length;
    } catch { /* counted like the guard's INVALID_URL */ }
  }
  const seconds = (performance.now() - t0) / 1000;
  if (hosts === 0) throw new Error('nothing parsed');
  return n / seconds;
}

/**
 * Ingest's pass 1 aims at 50 MB/s of ~2 KB rows = 25,000 rows/s; one URL column checked per row
 * should cost at most a tenth of that budget, i.e. 250,000 checks/s.
 */
const GOAL = '>= 250000 checks/s (a URL column <= 10% of pass 1 at 25k rows/s)';

const run: BenchFn = async ({ quick }) => {
  const n = quick ? 200_000 : 2_000_000;
  const vendor = vendorPolicy({ hosts: ['docs.vendor.com', '*.cdn.vendor.com', 'internal.vendor.com'] });
  // Warm both paths so the JIT has compiled them before timing.
  await guardRate(NAMED, vendor, 20_000);
  parseRate(NAMED, 20_000);

  // Every address different: nothing is remembered between checks (the worst case).
  const unique = Array.from({ length: Math.min(n, 500_000) }, (_, i) => (i % 2
    ? `https://[2606:4700:${(i >>> 16).toString(16)}::${(i & 0xffff).toString(16)}]/doc`
    : `https://${93 + (i >>> 24)}.${(i >>> 16) & 0xff}.${(i >>> 8) & 0xff}.${i & 0xff}/doc`));

  const metrics: Metrics = {};
  const sets: Array<[string, string[], UrlPolicy]> = [
    ['vendor_policy_names', NAMED, vendor],
    ['baseline_ip_literals', LITERAL, baselinePolicy()],
    ['baseline_mixed', [...NAMED, ...LITERAL], baselinePolicy()],
    ['baseline_unique_ip_literals', unique, baselinePolicy()],
  ];
  for (const [name, urls, policy] of sets) {
    const parse = parseRate(urls, n);
    const guard = await guardRate(urls, policy, n);
    metrics[`checks_per_s_${name}`] = vs(guard, 'checks/s', 'new URL() parses/s', parse, GOAL);
    metrics[`us_per_check_${name}`] = { value: round(1e6 / guard, 3), unit: 'µs' };
  }
  return metrics;
};
export default run;
