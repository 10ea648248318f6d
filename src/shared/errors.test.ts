import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CATALOGUE } from './errors.js';

describe('error catalogue', () => {
  it('docs/errors.md lists exactly the codes in errors.ts, with the same exit codes', () => {
    const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
    const documented = new Map<string, number>();
    for (const m of doc.matchAll(/^\| `([A-Z0-9_]+)` \| (\d+) \|/gm)) documented.set(m[1]!, Number(m[2]));
    const coded = new Map(Object.entries(ERROR_CATALOGUE).map(([k, v]) => [k, v.exitCode as number]));
    expect(Object.fromEntries(documented)).toEqual(Object.fromEntries(coded));
  });
});
