import { describe, expect, it } from 'vitest';
import { fileNameFields, mayBelongToTenant, seqFromFileName } from './correlate.js';

const PATTERN = 'ACME_RESP_{tenant}_{seq:4}.csv';
const spec = (pattern: string | null) => ({ correlation: pattern ? { by: 'fileName' as const, pattern } : undefined }) as never;

describe('response file names', () => {
  it('reads the tenant and sequence a name carries, whatever the tenant id looks like', () => {
    expect(fileNameFields(PATTERN, '/in/ACME_RESP_t1_0007.csv', 'acme')).toEqual({ seq: 7, tenant: 't1' });
    expect(fileNameFields(PATTERN, 'ACME_RESP_big_co_2_0012.csv', 'acme')).toEqual({ seq: 12, tenant: 'big_co_2' });
    expect(fileNameFields(PATTERN, 'ACME_RESP_t1_0007.txt', 'acme')).toBeNull();
    expect(fileNameFields('{vendor}-{seq}.csv', 'acme-3.csv', 'acme')).toEqual({ seq: 3, tenant: null });
    expect(fileNameFields('{vendor}-{seq}.csv', 'other-3.csv', 'acme')).toBeNull();
  });

  it('gives the sequence only for this tenant', () => {
    expect(seqFromFileName(PATTERN, 'ACME_RESP_t1_0007.csv', { tenant: 't1', vendor: 'acme' })).toBe(7);
    expect(seqFromFileName(PATTERN, 'ACME_RESP_t2_0007.csv', { tenant: 't1', vendor: 'acme' })).toBeNull();
  });

  it('leaves a file named for another tenant of a shared inbox to that tenant, takes what it cannot place', () => {
    expect(mayBelongToTenant(spec(PATTERN), 'ACME_RESP_t1_0001.csv', 't1', 'acme')).toBe(true);
    expect(mayBelongToTenant(spec(PATTERN), 'ACME_RESP_t2_0001.csv', 't1', 'acme')).toBe(false);
    expect(mayBelongToTenant(spec(PATTERN), 'surprise.csv', 't1', 'acme')).toBe(true);
    expect(mayBelongToTenant(spec('{vendor}-{seq}.csv'), 'acme-1.csv', 't1', 'acme')).toBe(true);
    expect(mayBelongToTenant(spec(null), 'ACME_RESP_t2_0001.csv', 't1', 'acme')).toBe(true);
  });
});
