import { expect, it } from 'vitest';
import { roundDecimal, impliedDecimal, fromScaled, toScaled } from './decimal.js';
it('skips the BigInt round trip only where it gives the same text', () => {
  const vals = ['0', '-0', '0.00', '-0.00', '-0.001', '12.5', '12.50', '012.50', '-12.50', '-012.5', '7.125', '7.135', '00', '100', '-100', '0.5', '-0.5', '99.999', '1.00', '-1.00', '10.10', '0.01', '-0.01', '5', '05'];
  for (const v of vals) for (const d of [0, 1, 2, 3]) {
    expect(roundDecimal(v, d), `${v} ${d}`).toBe(fromScaled(toScaled(v, d), d));
    expect(impliedDecimal(v, d), `${v} ${d} implied`).toBe(fromScaled(toScaled(v, d), 0));
  }
});
