import { VendorflowError } from '../shared/errors.js';
import { loadVendorSpecFile } from './load-spec.js';
import type { VendorSpec } from './spec-schema.js';

/**
 * The vendors a deployment knows, listed explicitly (no directory scan picks up a stray file).
 * Built from validated specs; ids are unique.
 */
export interface VendorRegistry {
  get(vendorId: string): VendorSpec;
  has(vendorId: string): boolean;
  list(): VendorSpec[];
}

export function createVendorRegistry(specs: readonly VendorSpec[]): VendorRegistry {
  const byId = new Map<string, VendorSpec>();
  for (const s of specs) {
    if (byId.has(s.id)) throw new VendorflowError('SPEC_INVALID', `vendor id "${s.id}" is registered twice`);
    byId.set(s.id, s);
  }
  return {
    get(id) {
      const s = byId.get(id);
      if (!s) throw new VendorflowError('NOT_FOUND', `no vendor "${id}" (registered: ${[...byId.keys()].join(', ') || 'none'})`);
      return s;
    },
    has: (id) => byId.has(id),
    list: () => [...byId.values()],
  };
}

/** The example vendors shipped with the product (demo and tests), by file. */
export const EXAMPLE_VENDOR_FILES = ['acme-medical', 'bright-dental', 'summit-life']
  .map((name) => new URL(`../../examples/vendors/${name}.yaml`, import.meta.url).pathname);

export function loadVendorRegistry(files: readonly string[]): VendorRegistry {
  return createVendorRegistry(files.map((f) => loadVendorSpecFile(f)));
}
