#!/usr/bin/env -S node --initial-old-space-size=256
// Runs the TypeScript sources: compiled into one cached module when they change (bin/compiled-entry.js),
// or through tsx's loader where that cache cannot be written.
//
// The flag above lets the old generation grow to 256 MB before V8 starts full collections: without
// it, while a transfer churns ssh2's short-lived buffers, V8 marks the whole heap again and again
// (~40 % of an upload's CPU). Node refuses it in NODE_OPTIONS, so it applies when this file runs as a
// program (`npx vendorflow`, `bin/vendorflow.js`, the npm scripts), not under `node bin/vendorflow.js`.
// bench/transfer starts its client with the flags of this line.
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
