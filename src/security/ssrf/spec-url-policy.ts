import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { VendorflowError } from '../../shared/errors.js';
import { baselinePolicy, narrowPolicy, VendorUrlPolicySchema, type UrlPolicy } from './url-policy.js';

/** Where a vendor spec keeps its URL settings: `inbound.urls` (schema: VendorUrlPolicySchema). */
export const SPEC_URL_POLICY_PATH = ['inbound', 'urls'] as const;

export interface SpecUrlPolicy {
  policy: UrlPolicy;
  /** False when the spec has no `inbound.urls`: then no host is allowlisted and every URL is refused. */
  declared: boolean;
}

/**
 * The URL policy of a vendor spec file. Only `inbound.urls` is read and validated here (the rest of
 * the spec is `vendorflow spec validate`'s business). A spec that declares none gets https-only with
 * an empty allowlist: a vendor's URLs are untrusted until the spec names the vendor's hosts.
 */
export function urlPolicyFromSpecFile(file: string): SpecUrlPolicy {
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(file, 'utf8'));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code) throw new VendorflowError('NOT_FOUND', `spec ${file}: cannot read (${code})`);
    throw new VendorflowError('SPEC_INVALID', `spec ${file}: not valid YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  return urlPolicyFromSpec(raw, file);
}

/** The same from an already-parsed spec document (any shape; only `inbound.urls` is looked at). */
export function urlPolicyFromSpec(spec: unknown, source = 'spec'): SpecUrlPolicy {
  let node: unknown = spec;
  for (const key of SPEC_URL_POLICY_PATH) node = node && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined;
  if (node === undefined || node === null) {
    return { policy: { ...baselinePolicy(), schemes: ['https'], hosts: [] }, declared: false };
  }
  const parsed = VendorUrlPolicySchema.safeParse(node);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = [...SPEC_URL_POLICY_PATH, ...issue.path].map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').slice(1);
    throw new VendorflowError('SPEC_INVALID', `${source}: ${path}: ${issue.message}`);
  }
  return { policy: narrowPolicy(baselinePolicy(), parsed.data), declared: true };
}
