#!/usr/bin/env -S node --initial-old-space-size=192 --heap-growing-percent=40 --max-semi-space-size=16
// Runs the TypeScript sources: compiled into one cached module when they change (bin/compiled-entry.js),
// or through tsx's loader where that cache cannot be written.
//
// The node flags above shape the heap for long-running work. The old generation may grow to 192 MB
// before V8 starts full collections: without that, while a transfer churns ssh2's short-lived
// buffers, V8 marks the whole heap again and again (~40 % of an upload's CPU). Past it, the heap
// grows by 40 % of what survived a collection (V8 picks up to 4x when allocation is fast, which is
// how a 50k-employee worker reached 570 MB holding ~150 MB), and the young generation stays at 8 MB
// semi-spaces: a worker's peak RSS went from 570 to 322 MB for ~4 % more CPU (bench/cycle).
// Node refuses these in NODE_OPTIONS, so they apply when this file runs as a program (`npx
// vendorflow`, `bin/vendorflow.js`, the npm scripts), not under `node bin/vendorflow.js`.
// bench/transfer starts its client with the flags of this line; bench/cycle starts workers as programs.
import { compiledEntry } from './compiled-entry.js';

const compiled = await compiledEntry('src/main/cli.ts');
let main;
if (compiled) {
  process.setSourceMapsEnabled(true); // stack traces name the TypeScript sources
  ({ main } = await import(compiled));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../src/main/cli.ts'));
}
await main(process.argv);
