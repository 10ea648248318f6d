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
// A typo such as --quik must not silently turn a quick run into a full one.
const unknown = args.filter((a) => a.startsWith('--') && a !== '--quick' && !a.startsWith('--x-'));
if (unknown.length) {
  console.error(`unknown option ${unknown.join(', ')} (only --quick; benchmark-specific options start with --x-)`);
  process.exit(2);
}
const benchDir = new URL('.', import.meta.url);

if (!name) {
  const names = readdirSync(benchDir).filter((f) => f.endsWith('.ts') && !['run.ts', 'report.ts'].includes(f) && !f.endsWith('.test.ts'));
  console.log(`usage: npm run bench -- NAME [--quick]\navailable: ${names.map((f) => f.slice(0, -3)).join(', ')}`);
  process.exit(0);
}
const file = new URL(`${name}.ts`, benchDir);
if (!existsSync(file)) {
  console.error(`no benchmark bench/${name}.ts`);
  process.exit(2);
}
const mod = (await import(pathToFileURL(file.pathname).href)) as { default: BenchFn };
try {
  const metrics = await mod.default({ quick, args });
  writeReport(name, quick, metrics);
} catch (e) {
  // One line, not a stack trace: most failures here are a service that is not running.
  console.error(`bench ${name} failed: ${(e as Error).message}`);
  if (process.env.VENDORFLOW_DEBUG) console.error((e as Error).stack);
  process.exit(1);
}
