/**
 * Decimal strings (money in snapshots) handled as scaled BigInts: a float would turn 0.1 + 0.2 into
 * 0.30000000000000004 in a premium total.
 */
const DECIMAL = /^(-?)(\d+)(?:\.(\d+))?$/;

export function isDecimal(text: string): boolean {
  return DECIMAL.test(text);
}

/** `text` as an integer count of 10^-scale units, rounded half away from zero. */
export function toScaled(text: string, scale: number): bigint {
  const m = DECIMAL.exec(text);
  if (!m) throw new Error(`not a decimal: "${text}"`);
  const frac = m[3] ?? '';
  let units = BigInt(m[2]! + frac.slice(0, scale).padEnd(scale, '0'));
  if (frac.length > scale && Number(frac[scale]) >= 5) units += 1n;
  return m[1] ? -units : units;
}

/** Scaled units back to text with exactly `scale` decimals (no decimal point when scale is 0). */
export function fromScaled(units: bigint, scale: number): string {
  const neg = units < 0n;
  const digits = (neg ? -units : units).toString().padStart(scale + 1, '0');
  const body = scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  return neg && units !== 0n ? `-${body}` : body;
}

/** Rounds a decimal string to `decimals` places, or leaves it as written when decimals is undefined. */
export function roundDecimal(text: string, decimals: number | undefined): string {
  if (decimals === undefined) return text;
  return fromScaled(toScaled(text, decimals), decimals);
}
