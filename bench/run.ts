/**
 * `npm run bench -- NAME [--quick]`: runs bench/NAME.ts, whose default export receives the options
 * and returns its metrics; this prints the table and writes bench/results/NAME.json.
 */
import { existsSync, readdirSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { writeReport, type BenchFn } from './report.js';

const args = process.argv.slice(2);
const name = args.find((a) => !a.startsWith('--'));
const quick = args.includes('--quick');
const benchDir = new URL('.', import.meta.url);

if (!name) {
  const names = readdirSync(benchDir).filter((f) => f.endsWith('.ts') && !['run.ts', 'report.ts'].includes(f) && !f.endsWith('.test.ts'));
  console.error(`usage: npm run bench -- NAME [--quick]\navailable: ${names.map((f) => f.slice(0, -3)).join(', ')}`);
  process.exit(2);
}
const file = new URL(`${name}.ts`, benchDir);
if (!existsSync(file)) {
  console.error(`no benchmark bench/${name}.ts`);
  process.exit(2);
}
const mod = (await import(pathToFileURL(file.pathname).href)) as { default: BenchFn };
const metrics = await mod.default({ quick, args });
writeReport(name, quick, metrics);
