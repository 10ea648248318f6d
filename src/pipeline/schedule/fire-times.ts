import { CronExpressionParser } from 'cron-parser';

/** A vendor spec's `schedule`: a cron expression read in an IANA time zone. */
export interface CronSchedule { cron: string; timeZone: string }

const HOUR = 3_600_000;
/** Beyond this a schedule has no fire in the window worth looking for (cron-parser also gives up after years). */
const LOOKBACK_LIMIT = 5 * 366 * 24 * HOUR;

/**
 * Walks start this long before a window: a DST shift is at most a few hours, so the walk always
 * starts before any transition whose shifted fire falls inside the window.
 */
const ANCHOR_MS = 3 * HOUR;

/**
 * The fire times in (after, upTo], found by walking forward with `next()` from a little before
 * `after`. A fire time must be the same however a scheduler's ticks fall, and cron-parser's answer
 * near a DST change depends on where a walk starts: `prev()` skips the fire after a spring-forward
 * gap and repeats the one in a fall-back overlap, and `next()` started inside the gap skips the
 * shifted fire. A walk that starts before the transition gives the one answer: a local time that
 * does not exist fires one hour later; a local time that occurs twice fires once, the first time.
 */
export function* firesBetween(s: CronSchedule, after: Date, upTo: Date): Generator<Date> {
  if (upTo <= after) return;
  const it = CronExpressionParser.parse(s.cron, { tz: s.timeZone, currentDate: new Date(after.getTime() - ANCHOR_MS) });
  for (;;) {
    let at: Date;
    try {
      at = it.next().toDate();
    } catch {
      return; // no further fire (e.g. a date that never comes)
    }
    if (at > upTo) return;
    if (at > after) yield at;
  }
}

/**
 * The latest fire time in (after, upTo], or null. A scheduler that was down for a long time asks
 * this once rather than walking every missed fire: the window is searched backwards from `upTo` in
 * doubling steps, so a per-minute cron over a month of downtime costs tens of iterations, not 40,000.
 */
export function latestFire(s: CronSchedule, after: Date, upTo: Date): Date | null {
  if (upTo <= after) return null;
  const span = upTo.getTime() - after.getTime();
  for (let step = HOUR; ; step *= 2) {
    const from = step >= span ? after : new Date(upTo.getTime() - step);
    let last: Date | null = null;
    for (const at of firesBetween(s, from, upTo)) last = at;
    if (last) return last;
    if (from === after || step > LOOKBACK_LIMIT) return null;
  }
}

/** The first fire time after `after` (for status displays and tests). */
export function nextFire(s: CronSchedule, after: Date): Date | null {
  try {
    return CronExpressionParser.parse(s.cron, { tz: s.timeZone, currentDate: after }).next().toDate();
  } catch {
    return null;
  }
}
