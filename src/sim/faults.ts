import { DEFAULT_KNOBS, type Knobs, type KnobsPatch } from './knobs.js';
import { Rng } from './prng.js';

export type Verdict =
  | { kind: 'serve'; delayMs: number }
  | { kind: 'fail'; status: number; delayMs: number; retryAfterS?: number };

/**
 * The fault plan of one service. Draws come from a stream seeded per service and are taken in the
 * same number for every call, so the same sequence of calls meets the same faults run after run;
 * only the rate limiter reads the clock (it is about time by nature).
 */
export class FaultInjector {
  knobs: Knobs;
  private readonly rng: Rng;
  private tokens = 0;
  private refilledAt = 0;

  constructor(seed: number, knobs: KnobsPatch = {}, private readonly now: () => number = () => performance.now()) {
    this.rng = new Rng(seed);
    this.knobs = { ...DEFAULT_KNOBS, ...knobs };
    this.tokens = this.knobs.rateLimit;
  }

  update(patch: KnobsPatch): Knobs {
    const before = this.knobs.rateLimit;
    this.knobs = { ...this.knobs, ...patch };
    if (this.knobs.rateLimit !== before) {
      this.tokens = this.knobs.rateLimit;
      this.refilledAt = this.now();
    }
    return this.knobs;
  }

  /** What happens to the next data call. */
  decide(): Verdict {
    const k = this.knobs;
    const errorDraw = this.rng.next();
    const tailDraw = this.rng.next();
    const jitterDraw = this.rng.next();
    const failKind = this.rng.next();
    if (k.down) return { kind: 'fail', status: 503, delayMs: 0 };
    if (k.rateLimit > 0) {
      const t = this.now();
      this.tokens = Math.min(k.rateLimit, this.tokens + ((t - this.refilledAt) / 1000) * k.rateLimit);
      this.refilledAt = t;
      if (this.tokens < 1) {
        return { kind: 'fail', status: 429, delayMs: 0, retryAfterS: Math.max(1, Math.ceil((1 - this.tokens) / k.rateLimit)) };
      }
      this.tokens -= 1;
    }
    const delayMs = Math.max(0, Math.round(k.latencyMs + (jitterDraw * 2 - 1) * k.jitterMs))
      + (tailDraw < k.slowTailRate ? k.slowTailMs : 0);
    if (errorDraw < k.errorRate) return { kind: 'fail', status: failKind < 0.5 ? 500 : 503, delayMs };
    return { kind: 'serve', delayMs };
  }

  /** Whether this record (or this bulk response) gets the fault. */
  malformed(): boolean {
    return this.knobs.malformedRate > 0 && this.rng.next() < this.knobs.malformedRate;
  }

  outOfUnit(): boolean {
    return this.knobs.outOfUnitRate > 0 && this.rng.next() < this.knobs.outOfUnitRate;
  }

  /** A draw for choosing among alternatives (which field to break, which stray employee). */
  draw(): number {
    return this.rng.next();
  }
}

/**
 * Breaks one required field of a record: removed, or set to null. `employeeId` is kept so a client
 * can still say which employee's record was bad. Returns a copy; the input is never touched (it may
 * be shared by the record cache).
 */
export function breakRecord<T extends object>(record: T, draw: () => number): T {
  const keys = Object.keys(record).filter((k) => k !== 'employeeId' && k !== 'id');
  if (keys.length === 0) return record;
  const key = keys[Math.floor(draw() * keys.length)]!;
  const copy = { ...record } as Record<string, unknown>;
  if (draw() < 0.5) delete copy[key];
  else copy[key] = null;
  return copy as T;
}
