import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { reportsDirOf } from '../../main/pipeline-environment.js';
import { DEFAULT_CHUNK_SIZE, ingestFile } from '../../pipeline/ingest/ingest-file.js';
import { ingestSpecForTenant, ingestSpecFromVendor } from '../../pipeline/ingest/from-vendor-spec.js';
import { checkUrl, configuredResolver, sharedResolver, urlPolicyFromSpec } from '../../security/ssrf/index.js';
import { VendorflowError } from '../../shared/errors.js';
import { loadVendorSpecFile } from '../../vendors/load-spec.js';
import { EXAMPLE_VENDOR_FILES, loadVendorRegistry } from '../../vendors/registry.js';
import type { VendorSpec } from '../../vendors/spec-schema.js';
import { globalOptions, printJson, printTable } from '../output.js';
import type { CliContext } from '../program.js';
import { createProgress } from '../progress.js';

/**
 * `vendorflow ingest FILE --tenant T --vendor V`: both passes and reconciliation on a local response
 * file. Exit 0 when applied, 65 when the file was quarantined (nothing applied).
 */
export function registerIngest(program: Command, ctx: CliContext): void {
  program.command('ingest')
    .description('Ingest a vendor response file: validate every row, apply in optimistic-locked chunks, reconcile')
    .argument('<file>', 'the (decrypted) response file')
    .requiredOption('--tenant <id>', 'tenant the file belongs to')
    .requiredOption('--vendor <vendor>', 'vendor id (a registered vendor) or its spec file (YAML)')
    .option('--answers <fileId>', 'id of the outbound file this answers (default: the spec\'s correlation rule)')
    .option('--chunk-size <n>', 'rows per apply transaction (1..1000)', String(DEFAULT_CHUNK_SIZE))
    .action(async (file: string, opts: { tenant: string; vendor: string; answers?: string; chunkSize: string }, cmd: Command) => {
      const g = globalOptions(cmd);
      if (!existsSync(file)) throw new VendorflowError('NOT_FOUND', `no file ${file}`);
      const chunkSize = Number(opts.chunkSize);
      if (!Number.isInteger(chunkSize) || chunkSize < 1 || chunkSize > 1000) throw new VendorflowError('USAGE', `--chunk-size: expected 1..1000, got "${opts.chunkSize}"`);
      const spec = vendorSpec(opts.vendor);
      const config = ctx.loadConfig(g.config);
      const { policy, declared } = urlPolicyFromSpec(spec, `vendor ${spec.id}`);
      // Only worth saying when the format has URL columns to refuse.
      if (!declared && ingestSpecFromVendor(spec).columns.some((c) => c.type === 'url')) {
        ctx.err.write(`vendorflow: vendor ${spec.id} declares no inbound.urls policy: every URL in the file is refused\n`);
      }
      const deps = { resolver: sharedResolver(configuredResolver(config.ssrf), { timeoutMs: config.ssrf.dnsTimeoutMs }), dnsTimeoutMs: config.ssrf.dnsTimeoutMs };
      const platform = await ctx.openPlatform(config);
      try {
        if (!(await platform.db.unitOfWork((r) => r.tenants.get(opts.tenant)))) throw new VendorflowError('NOT_FOUND', `no tenant ${opts.tenant}`);
        const progress = createProgress(ctx.err, g.json);
        let stage = '';
        const started = performance.now();
        const summary = await ingestFile({
          db: platform.db, tenantId: opts.tenant, vendorId: spec.id, path: file, spec: await ingestSpecForTenant(platform.db, opts.tenant, spec),
          answersFileId: opts.answers ?? null, chunkSize, reportDir: reportsDirOf(platform.config),
          checkUrl: (url) => checkUrl(url, policy, deps),
          onProgress: (s, rows) => {
            if (s !== stage) { progress.stop(); stage = s; progress.start(s === 'pass1' ? 'validate' : 'apply', 0); }
            progress.update(rows);
          },
        });
        progress.stop();
        const r = summary.reconciliation;
        const out = { ...summary, seconds: Number(((performance.now() - started) / 1000).toFixed(2)) };
        if (g.json) printJson(ctx.out, out);
        else {
          ctx.out.write(`vendorflow ingest ${summary.name}: ${summary.status}${summary.alreadyIngested ? ' (already ingested: nothing done again)' : ''}\n`);
          const rows: Array<[string, string | number]> = [
            ['file id', summary.fileId], ['answers', summary.answersFileId ?? '(standalone: versions as read at start)'],
            ['received', r.received], ['applied', `${r.applied}${r.merged ? ` (${r.merged} merged onto newer versions)` : ''}`],
            ['rejected', r.rejected], ['conflicted', r.conflicted], ['skipped (no change)', r.skipped],
            ['received = applied + rejected + conflicted + skipped', r.receivedIdentityHolds ? 'holds' : 'DOES NOT HOLD'],
          ];
          if (r.sent !== null) rows.push(['sent', r.sent], ['matched', r.matched!], ['absent', r.absent!], ['sent = matched + absent', r.sentIdentityHolds ? 'holds' : 'DOES NOT HOLD']);
          rows.push(['unknown employees', r.unknownEmployees]);
          if (summary.reason) rows.push(['quarantine reason', summary.reason]);
          rows.push(r.reportPath ? ['discrepancy report', r.reportPath] : ['row errors', `row_errors where file_id = '${summary.fileId}'`]);
          printTable(ctx.out, rows);
        }
        if (summary.status === 'quarantined') process.exitCode = 65;
      } finally {
        await platform.close();
      }
    });
}

function vendorSpec(vendor: string): VendorSpec {
  return existsSync(vendor) || /\.ya?ml$/i.test(vendor) ? loadVendorSpecFile(vendor) : loadVendorRegistry(EXAMPLE_VENDOR_FILES).get(vendor);
}
