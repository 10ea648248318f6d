import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createPiiCipher } from './pii-cipher.js';

describe('PiiCipher', () => {
  const cipher = createPiiCipher(randomBytes(32));

  it('opens what it sealed, under the tenant it was sealed for only', () => {
    const value = { ssn: '123456789', dateOfBirth: '1980-02-03', address: { city: 'Zürich' } };
    const sealed = cipher.seal('t1', value);
    expect(cipher.open('t1', sealed)).toEqual(value);
    expect(() => cipher.open('t2', sealed)).toThrow();
    const tampered = Uint8Array.from(sealed);
    tampered[tampered.length - 1]! ^= 1;
    expect(() => cipher.open('t1', tampered)).toThrow();
  });

  it('never reuses an IV, across refills of its pool', () => {
    const ivs = new Set<string>();
    for (let i = 0; i < 1500; i++) ivs.add(Buffer.from(cipher.seal('t1', i).subarray(0, 12)).toString('hex'));
    expect(ivs.size).toBe(1500);
  });
});
