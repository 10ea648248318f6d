import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';

export interface Metric {
  value: number;
  unit: string;
  /** Name of the baseline measured in the same run, its value, and value ÷ baseline. */
  baseline?: string;
  baseline_value?: number;
  ratio?: number;
  /** Human statement of the goal, e.g. ">= 0.8x baseline". */
  goal?: string;
}
export type Metrics = Record<string, Metric>;
export interface BenchOptions { quick: boolean; args: string[] }
export type BenchFn = (opts: BenchOptions) => Promise<Metrics>;

/** A metric set beside its baseline; the ratio is value ÷ baseline. */
export function vs(value: number, unit: string, baseline: string, baselineValue: number, goal?: string): Metric {
  return { value: round(value), unit, baseline, baseline_value: round(baselineValue), ratio: round(value / baselineValue, 3), ...(goal ? { goal } : {}) };
}

export function round(n: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** Peak RSS of this process in MB. */
export function peakRssMb(): number {
  return round(process.resourceUsage().maxRSS / 1024, 1);
}

export async function timed<T>(fn: () => Promise<T> | T): Promise<{ result: T; seconds: number }> {
  const t0 = performance.now();
  const result = await fn();
  return { result, seconds: (performance.now() - t0) / 1000 };
}

export function writeReport(name: string, quick: boolean, metrics: Metrics): void {
  const rows = Object.entries(metrics).map(([k, m]) => [
    k, `${m.value} ${m.unit}`, m.baseline ? `${m.baseline}: ${m.baseline_value} ${m.unit}` : '',
    m.ratio !== undefined ? `${m.ratio}x` : '', m.goal ?? '',
  ]);
  const header = ['metric', 'value', 'baseline (same run)', 'ratio', 'goal'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  console.log(`\n${name}${quick ? ' (quick)' : ''}`);
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
  mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
  const out = new URL(`./results/${name}.json`, import.meta.url);
  writeFileSync(out, `${JSON.stringify({ name, quick, node: process.version, cpus: cpus().length, metrics }, null, 2)}\n`);
  console.log(`\nwrote bench/results/${name}.json`);
}
