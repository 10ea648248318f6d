import type { Column, VendorSpec } from '../../src/vendors/spec-schema.js';
import { exampleSpec } from '../../test/support/render-records.js';

/** The medical CSV made ~2 KB a record (the size of a real enrollment record), one line per employee. */
export function wideCsvSpec(): VendorSpec {
  const spec = exampleSpec('acme-medical');
  spec.outbound.members = 'subscribers';
  const base = spec.outbound.columns!;
  const extra: Column[] = [];
  for (let k = 1; k <= 13; k++) {
    for (const c of base.filter((x) => x.field && !x.field.startsWith('maintenance') && x.type === 'string')) extra.push({ ...c, name: `${c.name}_${k}`, required: false });
  }
  spec.outbound.columns = [...base, ...extra];
  return spec;
}
