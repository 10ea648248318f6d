import { readFileSync } from 'node:fs';

/**
 * The node flags on bin/vendorflow.js's `#!/usr/bin/env -S node ...` line: how the product runs. A
 * benchmark's child process gets them so it measures what a worker does (the old-generation size
 * there decides how often V8 marks the heap again).
 */
export function launcherNodeFlags(): string[] {
  const first = readFileSync(new URL('../../bin/vendorflow.js', import.meta.url), 'utf8').split('\n', 1)[0]!;
  const m = /^#!.*?\bnode\b(.*)$/.exec(first);
  if (!m) throw new Error(`bin/vendorflow.js does not start with a node shebang: ${first}`);
  return m[1]!.trim().split(/\s+/).filter(Boolean);
}
