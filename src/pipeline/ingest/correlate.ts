import { basename } from 'node:path';
import type { Database } from '../../engines/database/port.js';
import type { CompiledIngestSpec } from './ingest-spec.js';
import { cleanText } from './normalise.js';
import { readResponse } from './read-response.js';

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * What a response file name carries under a pattern such as `ACME_RESP_{tenant}_{seq:4}.csv`: its
 * `{seq}` and `{tenant}` (null when the pattern has no such token or the name does not fit it).
 * `{vendor}` must be this vendor; other tokens match anything.
 */
export function fileNameFields(pattern: string, name: string, vendor: string): { seq: number | null; tenant: string | null } | null {
  let re = '';
  let last = 0;
  for (const m of pattern.matchAll(/\{([^}]*)\}/g)) {
    re += escape(pattern.slice(last, m.index));
    const token = m[1]!.split(':', 1)[0]!;
    if (token === 'seq' && !re.includes('(?<seq>')) re += '(?<seq>\\d+)';
    else if (token === 'tenant' && !re.includes('(?<tenant>')) re += '(?<tenant>.+?)';
    else if (token === 'vendor') re += escape(vendor);
    else re += '.+?';
    last = m.index! + m[0].length;
  }
  re += escape(pattern.slice(last));
  const m = new RegExp(`^${re}$`).exec(basename(name));
  if (!m) return null;
  return { seq: m.groups?.seq === undefined ? null : Number(m.groups.seq), tenant: m.groups?.tenant ?? null };
}

/** The `{seq}` a response file name carries for this tenant and vendor, or null. */
export function seqFromFileName(pattern: string, name: string, values: { tenant: string; vendor: string }): number | null {
  const f = fileNameFields(pattern, name, values.vendor);
  return f && f.seq !== null && (f.tenant === null || f.tenant === values.tenant) ? f.seq : null;
}

/**
 * Whether a file in the vendor's inbox may be this tenant's. Tenants often share one account at a
 * vendor: a name the response pattern gives to another tenant is left for that tenant's poll (taken
 * here it would be ingested against the wrong tenant's records). Names the pattern cannot read are
 * taken (and, not correlating, ingested as unsolicited).
 */
export function mayBelongToTenant(spec: CompiledIngestSpec['spec'], name: string, tenantId: string, vendorId: string): boolean {
  const rule = spec.correlation;
  if (rule?.by !== 'fileName') return true;
  const f = fileNameFields(rule.pattern, name, vendorId);
  return f?.tenant == null || f.tenant === tenantId;
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
