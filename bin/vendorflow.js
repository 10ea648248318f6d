#!/usr/bin/env -S node --initial-old-space-size=256
// Runs the TypeScript sources directly (no build step to go stale): tsx registers the loader,
// then the CLI entry takes over.
//
// The flag above lets the old generation grow to 256 MB before V8 starts full collections: without
// it, while a transfer churns ssh2's short-lived buffers, V8 marks the whole heap again and again
// (~40 % of an upload's CPU). Node refuses it in NODE_OPTIONS, so it applies when this file runs as a
// program (`npx vendorflow`, `bin/vendorflow.js`, the npm scripts), not under `node bin/vendorflow.js`.
// bench/transfer starts its client with the flags of this line.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/main/cli.ts');
await main(process.argv);
