/**
 * CSV injection: a spreadsheet opening the vendor's file runs a cell starting with = + - @ (or a tab
 * or carriage return that hides one) as a formula. Text cells are neutralised per the vendor's
 * policy; numeric columns are never touched, so -12.50 stays a number.
 */
export type InjectionPolicy = 'prefix' | 'strip' | 'reject';

const DANGEROUS = /^[=+\-@\t\r]/;
const LEADING_DANGEROUS = /^[=+\-@\t\r]+/;

export function isDangerousCell(text: string): boolean {
  return DANGEROUS.test(text);
}

/** The neutralised cell, or null when the policy rejects it. */
export function neutraliseCell(text: string, policy: InjectionPolicy, prefix: string): string | null {
  if (!DANGEROUS.test(text)) return text;
  if (policy === 'reject') return null;
  if (policy === 'strip') return text.replace(LEADING_DANGEROUS, '');
  return prefix + text;
}
