import { InvalidArgumentError } from 'commander';

/**
 * Argument parsers for commander options: a bad value stops before any work with one line naming the
 * option (exit 2), e.g. `.option('--employees <n>', '...', wholeNumber({ min: 1 }), 5000)`.
 */
export function wholeNumber(opts: { min?: number; max?: number } = {}) {
  const min = opts.min ?? 0;
  const max = opts.max ?? Number.MAX_SAFE_INTEGER;
  return (value: string): number => {
    if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`expected a whole number, got "${value}"`);
    const n = Number(value);
    if (n < min || n > max) throw new InvalidArgumentError(`expected a number from ${min} to ${max}, got ${n}`);
    return n;
  };
}

/** Tenant (and vendor) ids appear in file names, keys and paths: a conservative alphabet only. */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;

export function identifier(value: string): string {
  if (!ID_PATTERN.test(value)) {
    throw new InvalidArgumentError(`expected 1-63 letters, digits, "-" or "_" (starting with a letter or digit), got "${value}"`);
  }
  return value;
}
