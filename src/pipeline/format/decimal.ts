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
  if (decimals === undefined || isCanonical(text, decimals)) return text;
  return fromScaled(toScaled(text, decimals), decimals);
}

/** The value rounded to `decimals` places and written without its point (implied decimal): 12.5 → 1250 at 2. */
export function impliedDecimal(text: string, decimals: number): string {
  if (!isCanonical(text, decimals)) return fromScaled(toScaled(text, decimals), 0);
  const neg = text.charCodeAt(0) === 45;
  const digits = decimals === 0 ? text.slice(neg ? 1 : 0) : text.slice(neg ? 1 : 0, -decimals - 1) + text.slice(-decimals);
  let i = 0;
  while (i < digits.length - 1 && digits.charCodeAt(i) === 48) i++;
  return neg ? `-${digits.slice(i)}` : digits.slice(i);
}

/**
 * True when `text` is already exactly what rounding to `scale` places writes (the usual case:
 * money comes as 12.50), so the BigInt round trip can be skipped: exactly `scale` decimals, no
 * leading zeros, no negative zero.
 */
function isCanonical(text: string, scale: number): boolean {
  const dot = text.indexOf('.');
  if (scale === 0 ? dot !== -1 : dot === -1 || text.length - dot - 1 !== scale) return false;
  if (!DECIMAL.test(text)) return false;
  const start = text.charCodeAt(0) === 45 ? 1 : 0;
  const intEnd = dot === -1 ? text.length : dot;
  if (intEnd - start > 1 && text.charCodeAt(start) === 48) return false;
  return start === 0 || /[1-9]/.test(text);
}
