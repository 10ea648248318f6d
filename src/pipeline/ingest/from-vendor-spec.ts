import type { Database } from '../../engines/database/port.js';
import { VendorflowError } from '../../shared/errors.js';
import type { VendorSpec } from '../../vendors/spec-schema.js';
import type { IngestSpecInput } from './ingest-spec.js';
import { x12IngestColumns } from './x12-834-rows.js';

const EMPLOYEE_KEY = /^employee_?id$/i;
const PLAN_KEY = /^plan_?code$/i;
const ENCODINGS = { 'utf-8': 'utf-8', ascii: 'utf-8', latin1: 'windows-1252' } as const;

/**
 * The ingest view of a vendor spec for one tenant: plan codes in the vendor's answers are read back
 * through the tenant's outbound plan-code map (ours → theirs, in the tenant × vendor settings), so a
 * response names the plans the tenant knows. The pipeline and `vendorflow ingest` both read it so.
 */
export async function ingestSpecForTenant(db: Database, tenantId: string, spec: VendorSpec): Promise<IngestSpecInput> {
  const tv = await db.read((r) => r.outboundFiles.tenantVendor(tenantId, spec.id));
  const outbound = (tv?.settings.planCodes ?? {}) as Record<string, string>;
  return { ...ingestSpecFromVendor(spec), planCodeMap: Object.fromEntries(Object.entries(outbound).map(([ours, theirs]) => [theirs, ours])) };
}

/**
 * The ingest view of a vendor spec's `inbound` section. The spec names columns and types; ingest
 * also needs the record key (the `employee_id` and `plan_code` columns) and where each other value
 * goes in the benefit record (the column name in camelCase: `effective_date` → `effectiveDate`).
 * An 834 response has the standard's layout instead (x12-834-rows.ts).
 */
export function ingestSpecFromVendor(spec: VendorSpec): IngestSpecInput {
  const inbound = spec.inbound;
  if (!inbound) throw new VendorflowError('SPEC_INVALID', `vendor ${spec.id} has no inbound section: it sends no responses to ingest`);
  if (inbound.format === 'x12-834') {
    // An 834's layout is the standard's: the columns are fixed, its dates are D8.
    return {
      format: 'x12-834', encoding: ENCODINGS[inbound.encoding], columns: x12IngestColumns(), dateFormats: ['yyyy-MM-dd'],
      dateOrder: [{ start: 'coverage_start', end: 'coverage_end' }], errorThreshold: inbound.errorThreshold, correlation: inbound.correlation,
    };
  }
  const columns = inbound.columns.map((c) => {
    const role = EMPLOYEE_KEY.test(c.name) ? 'employeeId' as const : PLAN_KEY.test(c.name) ? 'planCode' as const : undefined;
    return {
      name: c.name,
      type: c.type === 'decimal' ? 'money' as const : c.type,
      required: c.required,
      ...(role ? { role } : { field: camel(c.name) }),
      ...(c.width !== undefined ? { width: c.width } : {}),
      ...(c.dateFormats ? { dateFormats: c.dateFormats } : {}),
    };
  });
  for (const [what, re] of [['employee id', EMPLOYEE_KEY], ['plan code', PLAN_KEY]] as const) {
    if (!inbound.columns.some((c) => re.test(c.name))) throw new VendorflowError('SPEC_INVALID', `vendor ${spec.id}: inbound.columns needs a ${what} column (${re.source})`);
  }
  return {
    format: inbound.format,
    encoding: ENCODINGS[inbound.encoding],
    delimiter: inbound.csv?.delimiter ?? ',',
    header: inbound.csv?.header ?? true,
    columns,
    dateFormats: inbound.dateFormats,
    ambiguousDates: inbound.ambiguousDates,
    errorThreshold: inbound.errorThreshold,
    correlation: inbound.correlation,
  };
}

const camel = (name: string) => name.toLowerCase().replace(/[_\s-]+([a-z0-9])/g, (_, c: string) => c.toUpperCase());
