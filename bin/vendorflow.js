#!/usr/bin/env node
// Runs the TypeScript sources directly (no build step to go stale): tsx registers the loader,
// then the CLI entry takes over.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/main/cli.ts');
await main(process.argv);
