import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { VendorflowError } from '../../shared/errors.js';
import { formatProblem, parseVendorSpec } from '../../vendors/load-spec.js';
import { globalOptions, printJson } from '../output.js';
import type { CliContext } from '../program.js';

/** `vendorflow spec validate FILE...`: every problem with its path in the YAML; exit 2 when any. */
export function registerSpec(program: Command, ctx: CliContext): void {
  const spec = program.command('spec').description('Vendor spec files');
  spec.command('validate')
    .description('Check vendor spec files and explain every error with its path in the file')
    .argument('<files...>', 'vendor spec YAML files')
    .action((files: string[], _opts: unknown, cmd: Command) => {
      const g = globalOptions(cmd);
      const reports = files.map((file) => {
        let text: string;
        try {
          text = readFileSync(file, 'utf8');
        } catch (e) {
          throw new VendorflowError('NOT_FOUND', `spec ${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? e})`);
        }
        const r = parseVendorSpec(text);
        return r.ok ? { file, valid: true, vendor: r.spec.id, problems: [] } : { file, valid: false, problems: r.problems };
      });
      if (g.json) printJson(ctx.out, reports);
      else {
        for (const r of reports) {
          if (r.valid) ctx.out.write(`${r.file}: valid (vendor ${r.vendor})\n`);
          else for (const p of r.problems) ctx.err.write(`${r.file}: ${formatProblem(p)}\n`);
        }
      }
      const bad = reports.filter((r) => !r.valid);
      if (bad.length > 0) {
        const count = bad.reduce((n, r) => n + r.problems.length, 0);
        throw new VendorflowError('SPEC_INVALID', `${count} problem(s) in ${bad.length} spec file(s)`);
      }
    });
}
