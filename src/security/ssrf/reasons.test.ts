import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SSRF_REASONS } from './reasons.js';

describe('SSRF reason catalogue', () => {
  it('docs/errors.md lists exactly the reasons in reasons.ts', () => {
    const doc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');
    const section = doc.slice(doc.indexOf('## SSRF reasons'));
    const documented = [...section.matchAll(/^\| `([A-Z0-9_]+)` \|/gm)].map((m) => m[1]).sort();
    expect(documented).toEqual(Object.keys(SSRF_REASONS).sort());
  });
});
