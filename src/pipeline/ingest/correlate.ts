import { basename } from 'node:path';
import type { Database } from '../../engines/database/port.js';
import type { CompiledIngestSpec } from './ingest-spec.js';
import { cleanText } from './normalise.js';
import { readResponse } from './read-response.js';

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The `{seq}` a response file name carries under a pattern such as `ACME_RESP_{tenant}_{seq:4}.csv`, or null. */
export function seqFromFileName(pattern: string, name: string, values: { tenant: string; vendor: string }): number | null {
  let re = '';
  let last = 0;
  let hasSeq = false;
  for (const m of pattern.matchAll(/\{([^}]*)\}/g)) {
    re += escape(pattern.slice(last, m.index));
    const token = m[1]!.split(':', 1)[0]!;
    if (token === 'seq') { re += '(?<seq>\\d+)'; hasSeq = true; } else if (token === 'tenant') re += escape(values.tenant);
    else if (token === 'vendor') re += escape(values.vendor);
    else re += '.+?';
    last = m.index! + m[0].length;
  }
  re += escape(pattern.slice(last));
  const m = hasSeq ? new RegExp(`^${re}$`).exec(basename(name)) : null;
  return m ? Number(m.groups!.seq) : null;
}

/**
 * The outbound file a response answers under the spec's correlation rule, or null when it cannot be
 * told (the response is then applied as a standalone one: expected versions are read at the start).
 */
export async function correlate(db: Database, opts: { tenantId: string; vendorId: string; name: string; path: string; compiled: CompiledIngestSpec }): Promise<string | null> {
  const rule = opts.compiled.spec.correlation;
  if (!rule) return null;
  if (rule.by === 'fileName') {
    const seq = seqFromFileName(rule.pattern, opts.name, { tenant: opts.tenantId, vendor: opts.vendorId });
    if (seq === null) return null;
    const hit = await db.unitOfWork((r) => r.ingest.findOutbound(opts.tenantId, opts.vendorId, { seq }));
    return hit?.fileId ?? null;
  }
  // By column: the first data record that carries a value names the file.
  let position = -1;
  const k = opts.compiled.spec.columns.findIndex((c) => c.name === rule.column);
  try {
    for await (const batch of readResponse(opts.path, opts.compiled, (l) => { position = l.index[k] ?? -1; })) {
      const value = batch.map((record) => (position >= 0 ? cleanText(record.fields[position] ?? '') : '')).find((v) => v);
      if (!value) continue;
      const hit = await db.unitOfWork((r) => r.ingest.findOutbound(opts.tenantId, opts.vendorId, { fileId: value }));
      return hit?.fileId ?? null;
    }
  } catch {
    // A structurally broken file is reported by pass 1; it answers nothing we can tell.
  }
  return null;
}
