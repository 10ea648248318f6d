import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { loadConfig } from '../config/load-config.js';
import type { Config } from '../config/schema.js';
import type { Platform } from '../main/platform.js';
import { registerCheckUrl } from './commands/check-url.js';
import { registerCycle } from './commands/cycle.js';
import { registerDemo } from './commands/demo.js';
import { registerGc } from './commands/gc.js';
import { registerIngest } from './commands/ingest.js';
import { registerRun } from './commands/run.js';
import { registerWorker } from './commands/worker.js';
import { registerSpec } from './commands/spec.js';
import { registerSim } from './commands/sim.js';

/** What commands get from the process entry: configuration and engines are wired in main/. */
export interface CliContext {
  loadConfig(configFile?: string): Config;
  openPlatform(config: Config): Promise<Platform>;
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
}

/** Options every command accepts. */
export interface GlobalOptions { json?: boolean; config?: string }

export function buildProgram(ctx: CliContext): Command {
  const program = new Command('vendorflow')
    .description('Benefits integration: gather employee data, send vendor files, apply vendor responses.')
    .option('--config <file>', 'configuration file (YAML); environment variables override it')
    .option('--json', 'print a machine-readable summary instead of text')
    .version(packageVersion(), '--version', 'print the version')
    // Usage mistakes are one line on stderr, like every other error (exit 2 from main/cli.ts).
    .configureOutput({ outputError: (msg, write) => write(`vendorflow: ${msg.replace(/^error: /, '').trim()} (see --help)\n`) })
    .exitOverride();
  registerDemo(program, ctx);
  registerIngest(program, ctx);
  registerRun(program, ctx);
  registerCycle(program, ctx);
  registerWorker(program, ctx);
  registerCheckUrl(program, ctx);
  registerSpec(program, ctx);
  registerGc(program, ctx);
  registerSim(program, ctx);
  return program;
}

function packageVersion(): string {
  return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

export function defaultContext(openPlatform: CliContext['openPlatform']): CliContext {
  return {
    loadConfig: (file) => loadConfig({ env: process.env, file }),
    openPlatform,
    out: process.stdout,
    err: process.stderr,
  };
}

export { CommanderError };
