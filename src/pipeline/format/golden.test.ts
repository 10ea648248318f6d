import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { EmployeeSnapshot } from '../../shared/snapshot.js';
import { buildRecords, exampleSpec, FACTS, render, SETTINGS } from '../../../test/support/render-records.js';
import { renderFileName } from './file-name.js';
import type { MaintenanceCode, X12Image } from './outbound-record.js';
import { X12834Writer } from './x12-834-writer.js';

/**
 * The three example vendors' files for a fixed set of employees, compared byte for byte with the
 * files under test/golden/formats. The employees are frozen there too (employees.json), so a change to
 * the synthetic generator never moves a golden file. After an intended format change: UPDATE_GOLDEN=1,
 * then review the diff.
 */
const GOLDEN = new URL('../../../test/golden/formats/', import.meta.url);
const CODES: MaintenanceCode[] = ['021', '001', '024'];
const EMPLOYEES = JSON.parse(readFileSync(new URL('employees.json', GOLDEN), 'utf8')) as EmployeeSnapshot[];

describe.each(['acme-medical', 'bright-dental', 'summit-life'])('golden file of %s', (vendor) => {
  it('matches byte for byte', async () => {
    const spec = exampleSpec(vendor);
    const facts = { ...FACTS, vendor, kind: 'change' as const };
    const records = buildRecords(spec, EMPLOYEES).map((r, i) => ({ ...r, code: CODES[i % 3]! }));
    const counts = spec.outbound.format === 'x12-834' ? {
      subscribers: records.length, dependents: records.reduce((n, r) => n + (r.image as X12Image).dependents.length, 0),
    } : undefined;
    const { bytes } = await render(spec, records, {
      facts,
      make: counts ? (onReject) => new X12834Writer(spec, facts, SETTINGS, { onReject, counts }) : undefined,
    });
    const name = renderFileName(spec.outbound.fileName, { ...facts, name: '' });
    const file = new URL(name, GOLDEN);
    if (process.env.UPDATE_GOLDEN || !existsSync(file)) {
      mkdirSync(GOLDEN, { recursive: true });
      writeFileSync(file, bytes);
    }
    expect(bytes.equals(readFileSync(file)), `${name} differs from its golden file`).toBe(true);
  });
});
