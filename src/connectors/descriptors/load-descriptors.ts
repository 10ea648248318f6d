import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { VendorflowError } from '../../shared/errors.js';
import { EmployeeSnapshot } from '../../shared/snapshot.js';
import { snapshotFieldSchema } from '../record-mapper.js';
import { DescriptorSet } from './schema.js';

export const SIMULATOR_DESCRIPTORS = fileURLToPath(new URL('./simulators.yaml', import.meta.url));

/**
 * Reads and validates a descriptor file. Besides the schema: every mapped target must be a field of
 * the employee snapshot, and together the services must feed every top-level snapshot field.
 */
export function loadDescriptorSet(path: string = SIMULATOR_DESCRIPTORS): DescriptorSet {
  let raw: unknown;
  try {
    raw = parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new VendorflowError('CONFIG_INVALID', `service descriptors ${path}: ${(e as Error).message}`, { cause: e });
  }
  return validateDescriptorSet(raw, path);
}

export function validateDescriptorSet(raw: unknown, source = 'service descriptors'): DescriptorSet {
  const parsed = DescriptorSet.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new VendorflowError('CONFIG_INVALID', `${source}: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  const set = parsed.data;
  const fed = new Set<string>(['employeeId', 'version']);
  for (const [name, s] of Object.entries(set.services)) {
    const maps = [...s.perEmployee.map((e) => [`perEmployee.${e.name}`, e.fields] as const), ...s.batchForms.map((f, i) => [`batchForms.${i}`, f.fields] as const)];
    for (const [where, fields] of maps) {
      for (const target of Object.keys(fields)) {
        try {
          snapshotFieldSchema(target);
        } catch {
          throw new VendorflowError('CONFIG_INVALID', `${source}: services.${name}.${where}: "${target}" is not a field of the employee snapshot`);
        }
      }
    }
    for (const e of s.perEmployee) {
      // A "has none" answer stands in for a record: its values must be good snapshot values too.
      for (const [target, value] of Object.entries(e.emptyValue)) {
        if (!(target in e.fields) || !snapshotFieldSchema(target).safeParse(value).success) {
          throw new VendorflowError('CONFIG_INVALID', `${source}: services.${name}.perEmployee.${e.name}.emptyValue: "${target}" is not a valid value of one of its fields`);
        }
      }
      for (const t of Object.keys(e.fields)) fed.add(t.split('.')[0]!);
    }
  }
  const missing = Object.keys(EmployeeSnapshot.shape).filter((k) => !fed.has(k));
  if (missing.length) throw new VendorflowError('CONFIG_INVALID', `${source}: no service provides snapshot field(s) ${missing.join(', ')}`);
  return set;
}
