/** Calendar arithmetic on whole days since 1970-01-01 (UTC), so generated dates never depend on the clock or time zone. */
const DAY_MS = 86_400_000;

export function dayOf(iso: string): number {
  return Math.round(Date.parse(`${iso}T00:00:00Z`) / DAY_MS);
}

// Generation formats a few dozen dates per employee from a range of a few thousand days: memoise.
const isoCache = new Map<number, string>();
export function isoDay(day: number): string {
  let s = isoCache.get(day);
  if (s === undefined) {
    s = new Date(day * DAY_MS).toISOString().slice(0, 10);
    isoCache.set(day, s);
  }
  return s;
}

export function parts(day: number): { y: number; m: number; d: number } {
  const dt = new Date(day * DAY_MS);
  return { y: dt.getUTCFullYear(), m: dt.getUTCMonth() + 1, d: dt.getUTCDate() };
}

export function dayFromParts(y: number, m: number, d: number): number {
  return Math.round(Date.UTC(y, m - 1, d) / DAY_MS);
}

/** First day of the month after `day` (or `day` itself when it is already the 1st). */
export function firstOfMonthOnOrAfter(day: number): number {
  const p = parts(day);
  return p.d === 1 ? day : dayFromParts(p.y, p.m + 1, 1);
}

export function endOfMonth(day: number): number {
  const p = parts(day);
  return dayFromParts(p.y, p.m + 1, 0);
}

export function addYears(day: number, years: number): number {
  const p = parts(day);
  return dayFromParts(p.y + years, p.m, Math.min(p.d, 28));
}
